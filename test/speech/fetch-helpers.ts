// Test peers for `models fetch`: a self-signed certificate (openssl), a made-up model archive, and
// a real HTTPS file server with ETag + Range support that can drop a connection mid-body.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { ModelManifest } from '../../src/speech/models/manifest.js';
import { run, scratch } from './helpers.js';

export const NAME = 'made-up-model';

export async function selfSigned(t: Test): Promise<{ cert: string; key: string; certPath: string }> {
  const dir = scratch(t);
  const certPath = join(dir, 'cert.pem');
  await run(t, 'openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', certPath,
  ]);
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8'), certPath };
}

/** A tar.bz2 shaped like an upstream release: one top-level folder with the manifest's files (fake ONNX). */
export async function madeUpArchive(t: Test): Promise<{ body: Buffer; sha256: string; path: string }> {
  const work = scratch(t);
  const root = join(work, `sherpa-onnx-${NAME}`);
  mkdirSync(root);
  // Incompressible, so the archive is big enough (~300 kB) to be cut in the middle.
  writeFileSync(join(root, 'model.onnx'), Buffer.concat([Buffer.from([0x08]), randomBytes(300000)]));
  writeFileSync(join(root, 'tokens.txt'), '<blk> 0\nA 1\n');
  const path = join(work, `${NAME}.tar.bz2`);
  await run(t, 'tar', ['-cjf', path, '-C', work, `sherpa-onnx-${NAME}`]);
  const body = readFileSync(path);
  return { body, path, sha256: createHash('sha256').update(body).digest('hex') };
}

export function manifestsDir(t: Test, over: Partial<ModelManifest>): string {
  const dir = scratch(t);
  const m: ModelManifest = {
    name: NAME,
    language: 'zh',
    type: 'zipformer2Ctc',
    files: { model: 'model.onnx', tokens: 'tokens.txt' },
    url: 'https://127.0.0.1:1/none.tar.bz2',
    archive: `${NAME}.tar.bz2`,
    sha256: '',
    licence: 'Apache-2.0',
    upstream: 'https://example.invalid/release',
    ...over,
  };
  writeFileSync(join(dir, `${NAME}.json`), JSON.stringify(m));
  return dir;
}

export interface Served {
  url: string;
  requests: Array<{ range?: string; ifRange?: string }>;
  /** Cut the next full (non-range) response after this many body bytes. */
  cutNextAt?: number;
  /** Claim this content-length (and send nothing) on the next request. */
  claimLength?: number;
}

/** HTTPS file server with ETag + Range support, able to drop a connection mid-body once. */
export async function serveHttps(t: Test, tls: { cert: string; key: string }, body: Buffer): Promise<Served> {
  const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
  const state: Served = { url: '', requests: [] };
  const server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const range = req.headers.range;
    state.requests.push({ range, ifRange: req.headers['if-range'] as string | undefined });
    if (req.url !== `/${NAME}.tar.bz2`) return void res.writeHead(404).end();
    if (state.claimLength) {
      const n = state.claimLength;
      state.claimLength = undefined;
      res.writeHead(200, { 'content-length': n, etag });
      res.write(body.subarray(0, 100));
      req.socket.on('close', () => res.destroy());
      return;
    }
    const m = range && req.headers['if-range'] === etag ? /^bytes=(\d+)-$/.exec(range) : null;
    const from = m ? Number(m[1]) : 0;
    if (from >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    const part = body.subarray(from);
    res.writeHead(m ? 206 : 200, {
      'content-length': part.length,
      etag,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` } : {}),
    });
    if (!m && state.cutNextAt !== undefined) {
      const at = state.cutNextAt;
      state.cutNextAt = undefined;
      // Half the file, flushed, then the TCP connection dies: what a flaky link does.
      res.write(part.subarray(0, at), () => req.socket.end());
      return;
    }
    res.end(part);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/${NAME}.tar.bz2`;
  return state;
}


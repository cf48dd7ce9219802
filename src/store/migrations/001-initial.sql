-- Earshot schema v1. Times are epoch milliseconds unless named *_ms (call-relative ms).
-- Text columns hold redacted text only: redaction happens before anything reaches the store.

CREATE TABLE calls (
  id            TEXT PRIMARY KEY,              -- uuid
  ingest        TEXT NOT NULL,                 -- siprec | audio-fork | audiohook | audiosocket | ari | import
  external_id   TEXT NOT NULL,                 -- SIP Call-ID / fork session / import file sha256
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER,
  state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','ended','interrupted')),
  agent_id      TEXT,
  queue         TEXT,
  customer_hash TEXT,                          -- salted hash of the caller id, never the number
  duration_ms   INTEGER,
  summary       TEXT                           -- JSON: final KPIs, emotion trajectory, intents, QA score
);
CREATE UNIQUE INDEX calls_external ON calls(ingest, external_id);
CREATE INDEX calls_started ON calls(started_at);
CREATE INDEX calls_agent ON calls(agent_id, started_at);
CREATE INDEX calls_customer ON calls(customer_hash, started_at);

CREATE TABLE legs (
  id        TEXT PRIMARY KEY,
  call_id   TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  role      TEXT NOT NULL CHECK (role IN ('customer','agent','mixed','unknown')),
  label     TEXT NOT NULL,
  codec     TEXT,
  stats     TEXT                               -- JSON: packets, lost, jitter, MOS, level, clipping
);
CREATE INDEX legs_call ON legs(call_id);

CREATE TABLE utterances (
  id          INTEGER PRIMARY KEY,
  call_id     TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  leg_id      TEXT NOT NULL REFERENCES legs(id) ON DELETE CASCADE,
  role        TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  start_ms    INTEGER NOT NULL,
  end_ms      INTEGER NOT NULL,
  text        TEXT NOT NULL,                   -- redacted
  lang        TEXT NOT NULL DEFAULT 'unknown',
  sentiment   REAL NOT NULL DEFAULT 0,
  emotion     TEXT NOT NULL DEFAULT 'neutral',
  emotion_conf REAL NOT NULL DEFAULT 0,
  categories  TEXT NOT NULL DEFAULT '[]',      -- JSON array of category ids
  redactions  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX utterances_call ON utterances(call_id, start_ms);
CREATE UNIQUE INDEX utterances_leg_seq ON utterances(leg_id, seq);

CREATE TABLE call_events (
  id       INTEGER PRIMARY KEY,
  call_id  TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  leg_id   TEXT,
  kind     TEXT NOT NULL,                      -- category | dtmf | hold | resume | behind-realtime | shed | vad ...
  t_ms     INTEGER NOT NULL,
  data     TEXT                                -- JSON, never PII (DTMF digits are not stored)
);
CREATE INDEX call_events_call ON call_events(call_id, t_ms);
CREATE INDEX call_events_kind ON call_events(kind);

CREATE TABLE alarms (
  id          INTEGER PRIMARY KEY,
  call_id     TEXT REFERENCES calls(id) ON DELETE SET NULL,
  agent_id    TEXT,
  rule        TEXT NOT NULL,
  severity    TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
  state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','acked','resolved')),
  message     TEXT NOT NULL,
  evidence    TEXT,                            -- JSON array of utterance ids
  raised_at   INTEGER NOT NULL,
  acked_by    TEXT, acked_at INTEGER, ack_comment TEXT,
  resolved_by TEXT, resolved_at INTEGER, resolve_comment TEXT,
  escalated_at INTEGER
);
CREATE INDEX alarms_state ON alarms(state, severity, raised_at);
CREATE INDEX alarms_call ON alarms(call_id);

CREATE TABLE kpi_rollups (
  bucket      TEXT NOT NULL CHECK (bucket IN ('minute','hour','day')),
  bucket_start INTEGER NOT NULL,
  dim         TEXT NOT NULL,                   -- 'site' | 'agent' | 'queue'
  dim_value   TEXT NOT NULL,
  metrics     TEXT NOT NULL,                   -- JSON: calls, aht_ms, sentiment_avg, neg_end_share, alarms, qa_avg ...
  PRIMARY KEY (bucket, bucket_start, dim, dim_value)
);

CREATE TABLE surveys (
  id           INTEGER PRIMARY KEY,
  call_id      TEXT REFERENCES calls(id) ON DELETE SET NULL,
  customer_hash TEXT,
  kind         TEXT NOT NULL CHECK (kind IN ('nps','csat')),
  score        INTEGER NOT NULL,
  received_at  INTEGER NOT NULL,
  source       TEXT NOT NULL DEFAULT 'api'
);
CREATE INDEX surveys_call ON surveys(call_id);

CREATE TABLE users (
  id           INTEGER PRIMARY KEY,
  username     TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('viewer','supervisor','admin')),
  password_hash TEXT NOT NULL,               -- scrypt$N$r$p$salt$hash
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  created_at   INTEGER NOT NULL
);

CREATE TABLE sessions (
  id          TEXT PRIMARY KEY,               -- random 32 bytes, hex
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,                     -- username or 'system'
  action   TEXT NOT NULL,                     -- view.transcript | alarm.ack | rule.update | login ...
  target   TEXT,
  detail   TEXT
);
CREATE INDEX audit_at ON audit_log(at);

CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  topic       TEXT NOT NULL,                  -- 'webhook' | 'sync'
  destination TEXT NOT NULL,
  idem_key    TEXT NOT NULL UNIQUE,
  payload     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error  TEXT
);
CREATE INDEX outbox_due ON outbox(delivered_at, next_at);

CREATE TABLE rules (
  id         TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  kind       TEXT NOT NULL,                   -- 'category' | 'alarm' | 'scorecard'
  body       TEXT NOT NULL,                   -- the validated source (YAML/JSON)
  updated_by TEXT,
  updated_at INTEGER NOT NULL
);

CREATE TABLE imports (
  sha256     TEXT PRIMARY KEY,
  call_id    TEXT REFERENCES calls(id) ON DELETE SET NULL,
  file_name  TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('running','done','failed')),
  progress_ms INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  error      TEXT
);

-- Earshot schema v7: encrypted per-leg recordings (privacy.storeAudio). The audio itself is in files
-- under recordings.dir; a row says where, under which key, and what was muted before encoding.
-- muted: JSON [{startMs, endMs, reason}] in leg time; reason: redacted | dtmf | unanalysed.
-- status: complete | stopped (the disk guard or an I/O error ended the file early).
CREATE TABLE recordings (
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL,
  leg_id TEXT NOT NULL,
  path TEXT NOT NULL,
  key_id TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  offset_ms INTEGER NOT NULL,
  sample_rate INTEGER NOT NULL,
  muted TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'complete',
  created_at INTEGER NOT NULL,
  UNIQUE (call_id, leg_id)
);
CREATE INDEX recordings_created ON recordings (created_at);

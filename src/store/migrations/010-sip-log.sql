-- Earshot schema v13: the per-call SIP log (`earshot calls show`). One row per SIP request or response
-- received or sent, keyed by the dialog's Call-ID; call_id is set once the dialog has a call (a rejected
-- INVITE never has one). Only what an engineer needs and no PII: method/status, reason, peer address.
CREATE TABLE sip_log (
  id          INTEGER PRIMARY KEY,
  sip_call_id TEXT NOT NULL,
  call_id     TEXT,                                 -- calls.id once known; purged with the call
  at          INTEGER NOT NULL,                     -- ms since epoch
  dir         TEXT NOT NULL CHECK (dir IN ('in','out')),
  method      TEXT NOT NULL,                        -- request method, or the CSeq method of a response
  status      INTEGER,                              -- responses only
  reason      TEXT,                                 -- reason phrase and, on rejections, why (bounded label)
  peer        TEXT NOT NULL,                        -- the other side's address:port
  transport   TEXT NOT NULL CHECK (transport IN ('udp','tcp','tls','ws','wss','drachtio'))
);
CREATE INDEX sip_log_dialog ON sip_log(sip_call_id, id);
CREATE INDEX sip_log_call ON sip_log(call_id) WHERE call_id IS NOT NULL;
CREATE INDEX sip_log_at ON sip_log(at) WHERE call_id IS NULL;

-- Earshot schema v6: who sent a call and why it ended.
-- source: the authenticated ingest source (the fork API key's name, or the SIPREC peer's address).
-- end_reason: bye | hangup | connection-lost | protocol-error | rtp-inactivity | fork-idle | no-ack |
--             session-expired | cancelled | shutdown | end-of-file (src/call/types.ts EndReason).
ALTER TABLE calls ADD COLUMN source TEXT;
ALTER TABLE calls ADD COLUMN end_reason TEXT;

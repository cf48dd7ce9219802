-- Earshot schema v3. Utterance and call-event ids are handed out when a row is queued, before it is
-- committed. Every process writing the database (serve, an `earshot import` beside it) reserves
-- disjoint blocks of ids here, so two writers never hand out the same id.
CREATE TABLE id_blocks (
  tbl   TEXT PRIMARY KEY,                    -- 'utterances' | 'call_events'
  next  INTEGER NOT NULL                     -- first id no writer has reserved yet
);

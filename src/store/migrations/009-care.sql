-- Earshot schema v9: care cases, survey requests and the demo's back-filled rows.
-- A case is about a customer known only by their salted hash; evidence holds call/utterance ids,
-- category ids and figures, never text.
CREATE TABLE cases (
  id            INTEGER PRIMARY KEY,
  customer_hash TEXT NOT NULL,
  origin        TEXT NOT NULL CHECK (origin IN ('survey','risk','alarm','supervisor')),
  origin_ref    TEXT,                            -- survey id | risk reason+day | alarm id; NULL for supervisors
  reason        TEXT NOT NULL,                   -- bounded label: detractor | churn-intent | <alarm rule> | ...
  state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','contacted','resolved','closed')),
  team          TEXT,
  assignee      TEXT,
  opened_by     TEXT NOT NULL,
  opened_at     INTEGER NOT NULL,
  due_at        INTEGER NOT NULL,
  contacted_at  INTEGER,
  resolved_at   INTEGER,
  closed_at     INTEGER,
  escalated_at  INTEGER,
  outcome       TEXT,
  notes         TEXT,                            -- supervisors' notes (no transcript text)
  evidence      TEXT NOT NULL DEFAULT '{}',      -- JSON: calls, categories, worst moments (ids and figures)
  updated_at    INTEGER NOT NULL
);
-- One case per origin event: a survey or alarm seen twice does not open two cases.
CREATE UNIQUE INDEX cases_origin ON cases(origin, origin_ref) WHERE origin_ref IS NOT NULL;
CREATE INDEX cases_state_due ON cases(state, due_at);
CREATE INDEX cases_customer ON cases(customer_hash, opened_at);

CREATE TABLE survey_requests (
  id            INTEGER PRIMARY KEY,
  call_id       TEXT REFERENCES calls(id) ON DELETE SET NULL,
  customer_hash TEXT NOT NULL,
  rule          TEXT NOT NULL,                   -- trigger rule id, or 'case-follow-up'
  kind          TEXT NOT NULL CHECK (kind IN ('nps','csat')),
  case_id       INTEGER REFERENCES cases(id) ON DELETE SET NULL,
  requested_at  INTEGER NOT NULL,
  send_at       INTEGER NOT NULL                 -- after quiet hours
);
-- A call triggers at most one survey, a case at most one follow-up.
CREATE UNIQUE INDEX survey_requests_call ON survey_requests(call_id) WHERE call_id IS NOT NULL;
CREATE UNIQUE INDEX survey_requests_case ON survey_requests(case_id) WHERE case_id IS NOT NULL;
CREATE INDEX survey_requests_customer ON survey_requests(customer_hash, requested_at);

-- Rows the demo back-fill created (`earshot demo purge` deletes exactly these).
CREATE TABLE demo_rows (
  tbl    TEXT NOT NULL CHECK (tbl IN ('calls','surveys','alarms','cases','survey_requests')),
  row_id TEXT NOT NULL,
  PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;

-- Churn seeds: the calls where a competitor was named (the risk pool counts them per customer).
CREATE INDEX call_events_competitor ON call_events(call_id)
  WHERE kind = 'category' AND CASE WHEN json_valid(data) THEN COALESCE(json_extract(data, '$.category'), json_extract(data, '$.rule')) END LIKE 'competitor%';

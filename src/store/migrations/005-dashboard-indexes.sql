-- Earshot schema v5. Dashboard reads at 1M calls (bench/dashboard-queries.ts; goal <= 200 ms each).
-- Aggregates over days of calls cannot parse every call's summary JSON or visit every utterance, so
-- tables kept by triggers hold what they read: call_facts (one narrow row per call), call_hours,
-- emotion_hours, category_hours (per hour of call start) and survey_days (per day of answer).
-- Readers take whole hours/days from these and the partial ones at a range's ends from the rows.
-- Cost: upgrading a 1M-call database takes ~1.5 min (backfill, one transaction); call_events inserts
-- pay for a trigger and four partial indexes (store-throughput batched ~2/3 of schema 4).

-- call_facts: one row per call with the summary figures the dashboard aggregates, ordered by start
-- time so a date range is one contiguous read. Kept by triggers on calls and alarms.
CREATE TABLE call_facts (
  started_at    INTEGER NOT NULL,
  call_id       TEXT NOT NULL,
  agent_id      TEXT,
  queue         TEXT,
  customer_hash TEXT,
  state         TEXT NOT NULL,
  duration_ms   INTEGER,
  short         INTEGER,                       -- summary.kpi.short (NULL until final KPIs)
  neg_end       INTEGER,                       -- summary.kpi.sentiment.negativeEnd
  sentiment     REAL,                          -- summary.kpi.sentiment.customerAvg
  qa            REAL,                          -- mean of summary.qa[].score
  alarms        INTEGER NOT NULL DEFAULT 0,    -- alarms rows of the call
  PRIMARY KEY (started_at, call_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX call_facts_call ON call_facts(call_id);
CREATE INDEX call_facts_agent ON call_facts(agent_id, started_at);
CREATE INDEX call_facts_queue ON call_facts(queue, started_at);

-- A damaged summary must not make the call's own write fail: it only loses its figures here.
-- Plain INSERT/UPDATE, not INSERT OR REPLACE: the store's call upsert (INSERT ... ON CONFLICT DO
-- UPDATE) would override a trigger's conflict policy with ABORT.
CREATE TRIGGER call_facts_insert AFTER INSERT ON calls BEGIN
  INSERT INTO call_facts (started_at, call_id, agent_id, queue, customer_hash, state, duration_ms, short, neg_end, sentiment, qa, alarms)
  VALUES (NEW.started_at, NEW.id, NEW.agent_id, NEW.queue, NEW.customer_hash, NEW.state, NEW.duration_ms,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.short') END,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.negativeEnd') END,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.customerAvg') END,
    CASE WHEN json_valid(NEW.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(NEW.summary, '$.qa') q) END,
    (SELECT COUNT(*) FROM alarms a WHERE a.call_id = NEW.id));
END;
CREATE TRIGGER call_facts_update AFTER UPDATE ON calls BEGIN
  UPDATE call_facts SET started_at = NEW.started_at, agent_id = NEW.agent_id, queue = NEW.queue, customer_hash = NEW.customer_hash,
    state = NEW.state, duration_ms = NEW.duration_ms,
    short = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.short') END,
    neg_end = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.negativeEnd') END,
    sentiment = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.customerAvg') END,
    qa = CASE WHEN json_valid(NEW.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(NEW.summary, '$.qa') q) END
  WHERE call_id = OLD.id;
END;
CREATE TRIGGER call_facts_delete AFTER DELETE ON calls BEGIN
  DELETE FROM call_facts WHERE call_id = OLD.id;
END;
CREATE TRIGGER call_facts_alarm_insert AFTER INSERT ON alarms WHEN NEW.call_id IS NOT NULL BEGIN
  UPDATE call_facts SET alarms = alarms + 1 WHERE call_id = NEW.call_id;
END;
CREATE TRIGGER call_facts_alarm_delete AFTER DELETE ON alarms WHEN OLD.call_id IS NOT NULL BEGIN
  UPDATE call_facts SET alarms = alarms - 1 WHERE call_id = OLD.call_id;
END;
CREATE TRIGGER call_facts_alarm_move AFTER UPDATE OF call_id ON alarms WHEN OLD.call_id IS NOT NEW.call_id BEGIN
  UPDATE call_facts SET alarms = alarms - 1 WHERE call_id = OLD.call_id;
  UPDATE call_facts SET alarms = alarms + 1 WHERE call_id = NEW.call_id;
END;

INSERT INTO call_facts (started_at, call_id, agent_id, queue, customer_hash, state, duration_ms, short, neg_end, sentiment, qa, alarms)
SELECT c.started_at, c.id, c.agent_id, c.queue, c.customer_hash, c.state, c.duration_ms,
  CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.short') END,
  CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.sentiment.negativeEnd') END,
  CASE WHEN json_valid(c.summary) THEN json_extract(c.summary, '$.kpi.sentiment.customerAvg') END,
  CASE WHEN json_valid(c.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(c.summary, '$.qa') q) END,
  (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id)
FROM calls c;

-- Indexes for the remaining range and filter reads.
CREATE INDEX alarms_raised ON alarms(raised_at);
CREATE INDEX alarms_agent ON alarms(agent_id, raised_at);
CREATE INDEX alarms_rule ON alarms(rule, raised_at);
CREATE INDEX surveys_received ON surveys(kind, received_at, score);
CREATE INDEX surveys_customer ON surveys(customer_hash, received_at);
CREATE INDEX calls_queue ON calls(queue, started_at);

-- emotion_hours: utterance counts and sentiment sums per hour of call start × hour of utterance ×
-- queue × role × emotion. Kept by triggers on utterances (the call's start and queue are read from
-- call_facts, which outlives the call row until its own delete trigger: see call_facts_delete) and
-- on a call's queue change. Ranges read whole hours here and the partial hours from utterances.
CREATE TABLE emotion_hours (
  call_hour INTEGER NOT NULL,
  utt_hour  INTEGER NOT NULL,
  queue     TEXT NOT NULL,                     -- '' when the call has none
  role      TEXT NOT NULL,
  emotion   TEXT NOT NULL,
  n         INTEGER NOT NULL,
  sentiment REAL NOT NULL,                     -- sum over the n utterances
  PRIMARY KEY (call_hour, utt_hour, queue, role, emotion)
) WITHOUT ROWID;

CREATE TRIGGER emotion_hours_insert AFTER INSERT ON utterances BEGIN
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, role, emotion, n, sentiment)
  SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + NEW.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(f.queue, ''), NEW.role, NEW.emotion, 1, NEW.sentiment
  FROM call_facts f WHERE f.call_id = NEW.call_id
  ON CONFLICT DO UPDATE SET n = n + 1, sentiment = sentiment + excluded.sentiment;
END;
CREATE TRIGGER emotion_hours_delete AFTER DELETE ON utterances BEGIN
  UPDATE emotion_hours SET n = n - 1, sentiment = sentiment - OLD.sentiment
  WHERE (call_hour, utt_hour, queue, role, emotion) IN (
    SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + OLD.start_ms) / 3600000 AS INTEGER) * 3600000,
      COALESCE(f.queue, ''), OLD.role, OLD.emotion
    FROM call_facts f WHERE f.call_id = OLD.call_id);
END;
CREATE TRIGGER emotion_hours_queue AFTER UPDATE OF queue ON calls WHEN OLD.queue IS NOT NEW.queue BEGIN
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, role, emotion, n, sentiment)
  SELECT CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, CAST((NEW.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(OLD.queue, ''), u.role, u.emotion, -COUNT(*), -TOTAL(u.sentiment)
  FROM utterances u WHERE u.call_id = NEW.id GROUP BY 2, 4, 5
  ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, role, emotion, n, sentiment)
  SELECT CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, CAST((NEW.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(NEW.queue, ''), u.role, u.emotion, COUNT(*), TOTAL(u.sentiment)
  FROM utterances u WHERE u.call_id = NEW.id GROUP BY 2, 4, 5
  ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
END;

INSERT INTO emotion_hours (call_hour, utt_hour, queue, role, emotion, n, sentiment)
SELECT CAST(c.started_at / 3600000 AS INTEGER) * 3600000, CAST((c.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
  COALESCE(c.queue, ''), u.role, u.emotion, COUNT(*), TOTAL(u.sentiment)
FROM utterances u JOIN calls c ON c.id = u.call_id GROUP BY 1, 2, 3, 4, 5;

-- category_hours: category hits and calls with a hit per hour of call start, kept by triggers on
-- call_events (kind 'category'; the category is data.category or data.rule, as the KPI tracker reads
-- it). A call counts once per category: on its first hit, and until its last hit is deleted.
-- Index expressions guard json_extract with json_valid: an event whose data is not JSON must still be
-- writable (its category is NULL), and readers use the same expression so the indexes apply.
CREATE INDEX call_events_category ON call_events(call_id, CASE WHEN json_valid(data) THEN COALESCE(json_extract(data, '$.category'), json_extract(data, '$.rule')) END) WHERE kind = 'category';
CREATE TABLE category_hours (
  call_hour INTEGER NOT NULL,
  category  TEXT NOT NULL,
  hits      INTEGER NOT NULL,
  calls     INTEGER NOT NULL,
  PRIMARY KEY (call_hour, category)
) WITHOUT ROWID;

CREATE TRIGGER category_hours_insert AFTER INSERT ON call_events WHEN NEW.kind = 'category' AND json_valid(NEW.data) BEGIN
  INSERT INTO category_hours (call_hour, category, hits, calls)
  SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, k.id, 1,
    NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = NEW.call_id AND e.kind = 'category' AND e.id != NEW.id
                AND CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END = k.id)
  FROM call_facts f, (SELECT CASE WHEN json_valid(NEW.data) THEN COALESCE(json_extract(NEW.data, '$.category'), json_extract(NEW.data, '$.rule')) END AS id) k
  WHERE f.call_id = NEW.call_id AND k.id IS NOT NULL
  ON CONFLICT DO UPDATE SET hits = hits + 1, calls = calls + excluded.calls;
END;
CREATE TRIGGER category_hours_delete AFTER DELETE ON call_events WHEN OLD.kind = 'category' AND json_valid(OLD.data) BEGIN
  UPDATE category_hours SET hits = hits - 1,
    calls = calls - NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = OLD.call_id AND e.kind = 'category'
                                AND CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END = category_hours.category)
  WHERE (call_hour, category) IN (
    SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CASE WHEN json_valid(OLD.data) THEN COALESCE(json_extract(OLD.data, '$.category'), json_extract(OLD.data, '$.rule')) END
    FROM call_facts f WHERE f.call_id = OLD.call_id);
END;

INSERT INTO category_hours (call_hour, category, hits, calls)
SELECT CAST(c.started_at / 3600000 AS INTEGER) * 3600000, CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END AS id,
  COUNT(*), COUNT(DISTINCT e.call_id)
FROM call_events e JOIN calls c ON c.id = e.call_id
WHERE e.kind = 'category' AND CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END IS NOT NULL
GROUP BY 1, 2;

-- The high-risk pool's churn signals: intents and churn* categories, without scanning every event.
CREATE INDEX call_events_churn_intent ON call_events(call_id) WHERE kind = 'intent' AND CASE WHEN json_valid(data) THEN json_extract(data, '$.intent') END = 'churn-risk';
CREATE INDEX call_events_churn_category ON call_events(call_id)
  WHERE kind = 'category' AND CASE WHEN json_valid(data) THEN COALESCE(json_extract(data, '$.category'), json_extract(data, '$.rule')) END LIKE 'churn%';

-- The calls that have a given category, for a rare category in the calls list filter.
CREATE INDEX call_events_category_calls ON call_events(CASE WHEN json_valid(data) THEN COALESCE(json_extract(data, '$.category'), json_extract(data, '$.rule')) END, call_id) WHERE kind = 'category';

-- call_hours: call_facts summed per hour of call start and agent, kept by triggers on call_facts
-- (an update takes the old row's share out and puts the new one in). Month-long totals, the calls
-- per hour chart and per-agent figures read a few thousand of these instead of every call.
-- "counted" calls are the ones long enough for KPI means (summary.kpi.short not true).
CREATE TABLE call_hours (
  hour       INTEGER NOT NULL,
  agent_id   TEXT NOT NULL,                    -- '' when the call has no agent
  calls      INTEGER NOT NULL,
  active     INTEGER NOT NULL,
  dur_n      INTEGER NOT NULL,                 -- calls with a duration, and its sum
  dur_sum    REAL NOT NULL,
  cdur_n     INTEGER NOT NULL,                 -- the same over counted calls
  cdur_sum   REAL NOT NULL,
  neg_n      INTEGER NOT NULL,                 -- counted calls with negativeEnd known, and how many were negative
  neg_sum    REAL NOT NULL,
  qa_n       INTEGER NOT NULL,                 -- calls with a QA score, and its sum
  qa_sum     REAL NOT NULL,
  alarms     INTEGER NOT NULL,
  PRIMARY KEY (hour, agent_id)
) WITHOUT ROWID;

CREATE TRIGGER call_hours_insert AFTER INSERT ON call_facts BEGIN
  INSERT INTO call_hours VALUES (CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, COALESCE(NEW.agent_id, ''), 1, NEW.state = 'active',
    NEW.duration_ms IS NOT NULL, COALESCE(NEW.duration_ms, 0),
    COALESCE(NEW.short, 0) = 0 AND NEW.duration_ms IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.duration_ms, 0) ELSE 0 END,
    COALESCE(NEW.short, 0) = 0 AND NEW.neg_end IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.neg_end, 0) ELSE 0 END,
    NEW.qa IS NOT NULL, COALESCE(NEW.qa, 0), NEW.alarms)
  ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, active = active + excluded.active, dur_n = dur_n + excluded.dur_n,
    dur_sum = dur_sum + excluded.dur_sum, cdur_n = cdur_n + excluded.cdur_n, cdur_sum = cdur_sum + excluded.cdur_sum,
    neg_n = neg_n + excluded.neg_n, neg_sum = neg_sum + excluded.neg_sum, qa_n = qa_n + excluded.qa_n, qa_sum = qa_sum + excluded.qa_sum,
    alarms = alarms + excluded.alarms;
END;
CREATE TRIGGER call_hours_delete AFTER DELETE ON call_facts BEGIN
  UPDATE call_hours SET calls = calls - 1, active = active - (OLD.state = 'active'),
    dur_n = dur_n - (OLD.duration_ms IS NOT NULL), dur_sum = dur_sum - COALESCE(OLD.duration_ms, 0),
    cdur_n = cdur_n - (COALESCE(OLD.short, 0) = 0 AND OLD.duration_ms IS NOT NULL),
    cdur_sum = cdur_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.duration_ms, 0) ELSE 0 END,
    neg_n = neg_n - (COALESCE(OLD.short, 0) = 0 AND OLD.neg_end IS NOT NULL),
    neg_sum = neg_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.neg_end, 0) ELSE 0 END,
    qa_n = qa_n - (OLD.qa IS NOT NULL), qa_sum = qa_sum - COALESCE(OLD.qa, 0), alarms = alarms - OLD.alarms
  WHERE hour = CAST(OLD.started_at / 3600000 AS INTEGER) * 3600000 AND agent_id = COALESCE(OLD.agent_id, '');
END;
CREATE TRIGGER call_hours_update AFTER UPDATE ON call_facts BEGIN
  UPDATE call_hours SET calls = calls - 1, active = active - (OLD.state = 'active'),
    dur_n = dur_n - (OLD.duration_ms IS NOT NULL), dur_sum = dur_sum - COALESCE(OLD.duration_ms, 0),
    cdur_n = cdur_n - (COALESCE(OLD.short, 0) = 0 AND OLD.duration_ms IS NOT NULL),
    cdur_sum = cdur_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.duration_ms, 0) ELSE 0 END,
    neg_n = neg_n - (COALESCE(OLD.short, 0) = 0 AND OLD.neg_end IS NOT NULL),
    neg_sum = neg_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.neg_end, 0) ELSE 0 END,
    qa_n = qa_n - (OLD.qa IS NOT NULL), qa_sum = qa_sum - COALESCE(OLD.qa, 0), alarms = alarms - OLD.alarms
  WHERE hour = CAST(OLD.started_at / 3600000 AS INTEGER) * 3600000 AND agent_id = COALESCE(OLD.agent_id, '');
  INSERT INTO call_hours VALUES (CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, COALESCE(NEW.agent_id, ''), 1, NEW.state = 'active',
    NEW.duration_ms IS NOT NULL, COALESCE(NEW.duration_ms, 0),
    COALESCE(NEW.short, 0) = 0 AND NEW.duration_ms IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.duration_ms, 0) ELSE 0 END,
    COALESCE(NEW.short, 0) = 0 AND NEW.neg_end IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.neg_end, 0) ELSE 0 END,
    NEW.qa IS NOT NULL, COALESCE(NEW.qa, 0), NEW.alarms)
  ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, active = active + excluded.active, dur_n = dur_n + excluded.dur_n,
    dur_sum = dur_sum + excluded.dur_sum, cdur_n = cdur_n + excluded.cdur_n, cdur_sum = cdur_sum + excluded.cdur_sum,
    neg_n = neg_n + excluded.neg_n, neg_sum = neg_sum + excluded.neg_sum, qa_n = qa_n + excluded.qa_n, qa_sum = qa_sum + excluded.qa_sum,
    alarms = alarms + excluded.alarms;
END;

INSERT INTO call_hours
SELECT CAST(started_at / 3600000 AS INTEGER) * 3600000, COALESCE(agent_id, ''), COUNT(*), SUM(state = 'active'),
  COUNT(duration_ms), TOTAL(duration_ms),
  SUM(COALESCE(short, 0) = 0 AND duration_ms IS NOT NULL), TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN duration_ms END),
  SUM(COALESCE(short, 0) = 0 AND neg_end IS NOT NULL), TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN neg_end END),
  COUNT(qa), TOTAL(qa), SUM(alarms)
FROM call_facts GROUP BY 1, 2;

-- survey_days: survey answers per UTC day of receipt, kind, and the agent and queue of the call they
-- are tied to ('' for none), with the NPS bands and the score sum. Kept by triggers on surveys and on
-- a call's agent/queue changing (its answers move along). NPS by period reads days, not answers.
CREATE TABLE survey_days (
  day        INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  queue      TEXT NOT NULL,
  n          INTEGER NOT NULL,
  promoters  INTEGER NOT NULL,
  passives   INTEGER NOT NULL,
  detractors INTEGER NOT NULL,
  score_sum  REAL NOT NULL,
  PRIMARY KEY (day, kind, agent_id, queue)
) WITHOUT ROWID;

CREATE TRIGGER survey_days_insert AFTER INSERT ON surveys BEGIN
  INSERT INTO survey_days
  SELECT CAST(NEW.received_at / 86400000 AS INTEGER) * 86400000, NEW.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), 1,
    NEW.score >= 9, NEW.score >= 7 AND NEW.score < 9, NEW.score < 7, NEW.score
  FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = NEW.call_id WHERE true
  ON CONFLICT DO UPDATE SET n = n + 1, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;
CREATE TRIGGER survey_days_delete AFTER DELETE ON surveys BEGIN
  UPDATE survey_days SET n = n - 1, promoters = promoters - (OLD.score >= 9), passives = passives - (OLD.score >= 7 AND OLD.score < 9),
    detractors = detractors - (OLD.score < 7), score_sum = score_sum - OLD.score
  WHERE (day, kind, agent_id, queue) IN (
    SELECT CAST(OLD.received_at / 86400000 AS INTEGER) * 86400000, OLD.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, '')
    FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = OLD.call_id);
END;
-- An answer re-linked (its call purged: ON DELETE SET NULL) or re-scored: out with the old, in with the new.
CREATE TRIGGER survey_days_update AFTER UPDATE OF call_id, kind, score, received_at ON surveys BEGIN
  UPDATE survey_days SET n = n - 1, promoters = promoters - (OLD.score >= 9), passives = passives - (OLD.score >= 7 AND OLD.score < 9),
    detractors = detractors - (OLD.score < 7), score_sum = score_sum - OLD.score
  WHERE (day, kind, agent_id, queue) IN (
    SELECT CAST(OLD.received_at / 86400000 AS INTEGER) * 86400000, OLD.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, '')
    FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = OLD.call_id);
  INSERT INTO survey_days
  SELECT CAST(NEW.received_at / 86400000 AS INTEGER) * 86400000, NEW.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), 1,
    NEW.score >= 9, NEW.score >= 7 AND NEW.score < 9, NEW.score < 7, NEW.score
  FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = NEW.call_id WHERE true
  ON CONFLICT DO UPDATE SET n = n + 1, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;
CREATE TRIGGER survey_days_call_moves AFTER UPDATE OF agent_id, queue ON call_facts
WHEN OLD.agent_id IS NOT NEW.agent_id OR OLD.queue IS NOT NEW.queue BEGIN
  INSERT INTO survey_days
  SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(OLD.agent_id, ''), COALESCE(OLD.queue, ''), -COUNT(*),
    -SUM(s.score >= 9), -SUM(s.score >= 7 AND s.score < 9), -SUM(s.score < 7), -TOTAL(s.score)
  FROM surveys s WHERE s.call_id = NEW.call_id GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET n = n + excluded.n, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
  INSERT INTO survey_days
  SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(NEW.agent_id, ''), COALESCE(NEW.queue, ''), COUNT(*),
    SUM(s.score >= 9), SUM(s.score >= 7 AND s.score < 9), SUM(s.score < 7), TOTAL(s.score)
  FROM surveys s WHERE s.call_id = NEW.call_id GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET n = n + excluded.n, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;

INSERT INTO survey_days
SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COUNT(*),
  SUM(s.score >= 9), SUM(s.score >= 7 AND s.score < 9), SUM(s.score < 7), TOTAL(s.score)
FROM surveys s LEFT JOIN call_facts f ON f.call_id = s.call_id GROUP BY 1, 2, 3, 4;

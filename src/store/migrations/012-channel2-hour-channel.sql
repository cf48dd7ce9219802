-- Earshot schema v12: the hour tables carry the conversation's channel (issue 17). A channel-filtered
-- overview over days read every call of the range row by row (658 ms for 7 days at 200k calls);
-- with channel in call_facts, call_hours, emotion_hours and category_hours it reads hours like the
-- unfiltered one. A call's channel is fixed when its row is inserted (the call upsert never changes
-- it), so the triggers take it from the row and no trigger moves rows between channels.
-- Back-fill: call_facts and call_hours from calls; emotion_hours and category_hours keep their rows
-- as voice and move only the other channels' share (few calls on most sites), so the upgrade does
-- not re-read every utterance and event.

-- call_facts.channel, kept by the calls triggers. The call_hours triggers go first: the back-fill
-- below must not move call_hours rows (call_hours is rebuilt with its channel next).
DROP TRIGGER call_hours_insert;
DROP TRIGGER call_hours_delete;
DROP TRIGGER call_hours_update;
DROP TRIGGER call_facts_insert;
DROP TRIGGER call_facts_update;
ALTER TABLE call_facts ADD COLUMN channel TEXT NOT NULL DEFAULT 'voice';
UPDATE call_facts SET channel = (SELECT c.channel FROM calls c WHERE c.id = call_facts.call_id)
WHERE call_id IN (SELECT id FROM calls WHERE channel IN ('chat', 'wechat', 'app', 'email', 'sms')); -- calls_channel: the other channels only

CREATE TRIGGER call_facts_insert AFTER INSERT ON calls BEGIN
  INSERT INTO call_facts (started_at, call_id, agent_id, queue, customer_hash, state, duration_ms, short, neg_end, sentiment, qa, alarms, channel)
  VALUES (NEW.started_at, NEW.id, NEW.agent_id, NEW.queue, NEW.customer_hash, NEW.state, NEW.duration_ms,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.short') END,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.negativeEnd') END,
    CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.customerAvg') END,
    CASE WHEN json_valid(NEW.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(NEW.summary, '$.qa') q) END,
    (SELECT COUNT(*) FROM alarms a WHERE a.call_id = NEW.id), NEW.channel);
END;
CREATE TRIGGER call_facts_update AFTER UPDATE ON calls BEGIN
  UPDATE call_facts SET started_at = NEW.started_at, agent_id = NEW.agent_id, queue = NEW.queue, customer_hash = NEW.customer_hash,
    state = NEW.state, duration_ms = NEW.duration_ms, channel = NEW.channel,
    short = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.short') END,
    neg_end = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.negativeEnd') END,
    sentiment = CASE WHEN json_valid(NEW.summary) THEN json_extract(NEW.summary, '$.kpi.sentiment.customerAvg') END,
    qa = CASE WHEN json_valid(NEW.summary) THEN (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(NEW.summary, '$.qa') q) END
  WHERE call_id = OLD.id;
END;

-- call_hours per hour × agent × channel, rebuilt from call_facts (one pass over narrow rows).
CREATE TABLE call_hours_v12 (
  hour       INTEGER NOT NULL,
  agent_id   TEXT NOT NULL,                    -- '' when the call has no agent
  channel    TEXT NOT NULL,
  calls      INTEGER NOT NULL,
  active     INTEGER NOT NULL,
  dur_n      INTEGER NOT NULL,
  dur_sum    REAL NOT NULL,
  cdur_n     INTEGER NOT NULL,
  cdur_sum   REAL NOT NULL,
  neg_n      INTEGER NOT NULL,
  neg_sum    REAL NOT NULL,
  qa_n       INTEGER NOT NULL,
  qa_sum     REAL NOT NULL,
  alarms     INTEGER NOT NULL,
  PRIMARY KEY (hour, agent_id, channel)
) WITHOUT ROWID;
INSERT INTO call_hours_v12
SELECT CAST(started_at / 3600000 AS INTEGER) * 3600000, COALESCE(agent_id, ''), channel, COUNT(*), SUM(state = 'active'),
  COUNT(duration_ms), TOTAL(duration_ms),
  SUM(COALESCE(short, 0) = 0 AND duration_ms IS NOT NULL), TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN duration_ms END),
  SUM(COALESCE(short, 0) = 0 AND neg_end IS NOT NULL), TOTAL(CASE WHEN COALESCE(short, 0) = 0 THEN neg_end END),
  COUNT(qa), TOTAL(qa), SUM(alarms)
FROM call_facts GROUP BY 1, 2, 3;
DROP TABLE call_hours;
ALTER TABLE call_hours_v12 RENAME TO call_hours;

CREATE TRIGGER call_hours_insert AFTER INSERT ON call_facts BEGIN
  INSERT INTO call_hours VALUES (CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, COALESCE(NEW.agent_id, ''), NEW.channel, 1, NEW.state = 'active',
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
  WHERE hour = CAST(OLD.started_at / 3600000 AS INTEGER) * 3600000 AND agent_id = COALESCE(OLD.agent_id, '') AND channel = OLD.channel;
END;
CREATE TRIGGER call_hours_update AFTER UPDATE ON call_facts BEGIN
  UPDATE call_hours SET calls = calls - 1, active = active - (OLD.state = 'active'),
    dur_n = dur_n - (OLD.duration_ms IS NOT NULL), dur_sum = dur_sum - COALESCE(OLD.duration_ms, 0),
    cdur_n = cdur_n - (COALESCE(OLD.short, 0) = 0 AND OLD.duration_ms IS NOT NULL),
    cdur_sum = cdur_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.duration_ms, 0) ELSE 0 END,
    neg_n = neg_n - (COALESCE(OLD.short, 0) = 0 AND OLD.neg_end IS NOT NULL),
    neg_sum = neg_sum - CASE WHEN COALESCE(OLD.short, 0) = 0 THEN COALESCE(OLD.neg_end, 0) ELSE 0 END,
    qa_n = qa_n - (OLD.qa IS NOT NULL), qa_sum = qa_sum - COALESCE(OLD.qa, 0), alarms = alarms - OLD.alarms
  WHERE hour = CAST(OLD.started_at / 3600000 AS INTEGER) * 3600000 AND agent_id = COALESCE(OLD.agent_id, '') AND channel = OLD.channel;
  INSERT INTO call_hours VALUES (CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, COALESCE(NEW.agent_id, ''), NEW.channel, 1, NEW.state = 'active',
    NEW.duration_ms IS NOT NULL, COALESCE(NEW.duration_ms, 0),
    COALESCE(NEW.short, 0) = 0 AND NEW.duration_ms IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.duration_ms, 0) ELSE 0 END,
    COALESCE(NEW.short, 0) = 0 AND NEW.neg_end IS NOT NULL, CASE WHEN COALESCE(NEW.short, 0) = 0 THEN COALESCE(NEW.neg_end, 0) ELSE 0 END,
    NEW.qa IS NOT NULL, COALESCE(NEW.qa, 0), NEW.alarms)
  ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, active = active + excluded.active, dur_n = dur_n + excluded.dur_n,
    dur_sum = dur_sum + excluded.dur_sum, cdur_n = cdur_n + excluded.cdur_n, cdur_sum = cdur_sum + excluded.cdur_sum,
    neg_n = neg_n + excluded.neg_n, neg_sum = neg_sum + excluded.neg_sum, qa_n = qa_n + excluded.qa_n, qa_sum = qa_sum + excluded.qa_sum,
    alarms = alarms + excluded.alarms;
END;

-- emotion_hours per call hour × utterance hour × queue × channel × role × emotion.
DROP TRIGGER emotion_hours_insert;
DROP TRIGGER emotion_hours_delete;
DROP TRIGGER emotion_hours_queue;
CREATE TABLE emotion_hours_v12 (
  call_hour INTEGER NOT NULL,
  utt_hour  INTEGER NOT NULL,
  queue     TEXT NOT NULL,                     -- '' when the call has none
  channel   TEXT NOT NULL,
  role      TEXT NOT NULL,
  emotion   TEXT NOT NULL,
  n         INTEGER NOT NULL,
  sentiment REAL NOT NULL,
  PRIMARY KEY (call_hour, utt_hour, queue, channel, role, emotion)
) WITHOUT ROWID;
INSERT INTO emotion_hours_v12 (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
SELECT call_hour, utt_hour, queue, 'voice', role, emotion, n, sentiment FROM emotion_hours WHERE n != 0;
-- The other channels' utterances: out of voice, into their channel.
INSERT INTO emotion_hours_v12 (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
  COALESCE(f.queue, ''), 'voice', u.role, u.emotion, -COUNT(*), -TOTAL(u.sentiment)
FROM call_facts f CROSS JOIN utterances u ON u.call_id = f.call_id WHERE f.channel != 'voice' GROUP BY 1, 2, 3, 5, 6
ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
INSERT INTO emotion_hours_v12 (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
  COALESCE(f.queue, ''), f.channel, u.role, u.emotion, COUNT(*), TOTAL(u.sentiment)
FROM call_facts f CROSS JOIN utterances u ON u.call_id = f.call_id WHERE f.channel != 'voice' GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
DELETE FROM emotion_hours_v12 WHERE n = 0;
DROP TABLE emotion_hours;
ALTER TABLE emotion_hours_v12 RENAME TO emotion_hours;

CREATE TRIGGER emotion_hours_insert AFTER INSERT ON utterances BEGIN
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
  SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + NEW.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(f.queue, ''), f.channel, NEW.role, NEW.emotion, 1, NEW.sentiment
  FROM call_facts f WHERE f.call_id = NEW.call_id
  ON CONFLICT DO UPDATE SET n = n + 1, sentiment = sentiment + excluded.sentiment;
END;
CREATE TRIGGER emotion_hours_delete AFTER DELETE ON utterances BEGIN
  UPDATE emotion_hours SET n = n - 1, sentiment = sentiment - OLD.sentiment
  WHERE (call_hour, utt_hour, queue, channel, role, emotion) IN (
    SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, CAST((f.started_at + OLD.start_ms) / 3600000 AS INTEGER) * 3600000,
      COALESCE(f.queue, ''), f.channel, OLD.role, OLD.emotion
    FROM call_facts f WHERE f.call_id = OLD.call_id);
END;
CREATE TRIGGER emotion_hours_queue AFTER UPDATE OF queue ON calls WHEN OLD.queue IS NOT NEW.queue BEGIN
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
  SELECT CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, CAST((NEW.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(OLD.queue, ''), NEW.channel, u.role, u.emotion, -COUNT(*), -TOTAL(u.sentiment)
  FROM utterances u WHERE u.call_id = NEW.id GROUP BY 2, 5, 6
  ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
  INSERT INTO emotion_hours (call_hour, utt_hour, queue, channel, role, emotion, n, sentiment)
  SELECT CAST(NEW.started_at / 3600000 AS INTEGER) * 3600000, CAST((NEW.started_at + u.start_ms) / 3600000 AS INTEGER) * 3600000,
    COALESCE(NEW.queue, ''), NEW.channel, u.role, u.emotion, COUNT(*), TOTAL(u.sentiment)
  FROM utterances u WHERE u.call_id = NEW.id GROUP BY 2, 5, 6
  ON CONFLICT DO UPDATE SET n = n + excluded.n, sentiment = sentiment + excluded.sentiment;
END;

-- category_hours per call hour × channel × category.
DROP TRIGGER category_hours_insert;
DROP TRIGGER category_hours_delete;
CREATE TABLE category_hours_v12 (
  call_hour INTEGER NOT NULL,
  channel   TEXT NOT NULL,
  category  TEXT NOT NULL,
  hits      INTEGER NOT NULL,
  calls     INTEGER NOT NULL,
  PRIMARY KEY (call_hour, channel, category)
) WITHOUT ROWID;
INSERT INTO category_hours_v12 (call_hour, channel, category, hits, calls)
SELECT call_hour, 'voice', category, hits, calls FROM category_hours WHERE hits != 0;
INSERT INTO category_hours_v12 (call_hour, channel, category, hits, calls)
SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, 'voice', CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END AS id, -COUNT(*), -COUNT(DISTINCT e.call_id)
FROM call_facts f CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = f.call_id
WHERE f.channel != 'voice' AND e.kind = 'category' AND CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END IS NOT NULL GROUP BY 1, 3
ON CONFLICT DO UPDATE SET hits = hits + excluded.hits, calls = calls + excluded.calls;
INSERT INTO category_hours_v12 (call_hour, channel, category, hits, calls)
SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, f.channel, CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END AS id, COUNT(*), COUNT(DISTINCT e.call_id)
FROM call_facts f CROSS JOIN call_events e INDEXED BY call_events_category ON e.call_id = f.call_id
WHERE f.channel != 'voice' AND e.kind = 'category' AND CASE WHEN json_valid(e.data) THEN COALESCE(json_extract(e.data, '$.category'), json_extract(e.data, '$.rule')) END IS NOT NULL GROUP BY 1, 2, 3
ON CONFLICT DO UPDATE SET hits = hits + excluded.hits, calls = calls + excluded.calls;
DELETE FROM category_hours_v12 WHERE hits = 0;
DROP TABLE category_hours;
ALTER TABLE category_hours_v12 RENAME TO category_hours;

CREATE TRIGGER category_hours_insert AFTER INSERT ON call_events WHEN NEW.kind = 'category' AND json_valid(NEW.data) BEGIN
  INSERT INTO category_hours (call_hour, channel, category, hits, calls)
  SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, f.channel, k.id, 1,
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
  WHERE (call_hour, channel, category) IN (
    SELECT CAST(f.started_at / 3600000 AS INTEGER) * 3600000, f.channel, CASE WHEN json_valid(OLD.data) THEN COALESCE(json_extract(OLD.data, '$.category'), json_extract(OLD.data, '$.rule')) END
    FROM call_facts f WHERE f.call_id = OLD.call_id);
END;

-- Earshot schema v14: survey_days carries the channel of the answer's call (issue 17). NPS by
-- channel, or of one channel, read every answer of the range (surveys + calls row by row); with the
-- channel in the day table it reads days like the other groupings. A call's channel is fixed when
-- its row is inserted, but call_facts.channel is followed anyway (the moves trigger), so the table
-- never drifts from a recomputation. '' for answers tied to no call, as agent_id and queue.
-- Back-fill: one pass over the answers (surveys LEFT JOIN call_facts by call id).

DROP TRIGGER survey_days_insert;
DROP TRIGGER survey_days_delete;
DROP TRIGGER survey_days_update;
DROP TRIGGER survey_days_call_moves;
DROP TABLE survey_days;

CREATE TABLE survey_days (
  day        INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  queue      TEXT NOT NULL,
  channel    TEXT NOT NULL,
  n          INTEGER NOT NULL,
  promoters  INTEGER NOT NULL,
  passives   INTEGER NOT NULL,
  detractors INTEGER NOT NULL,
  score_sum  REAL NOT NULL,
  PRIMARY KEY (day, kind, agent_id, queue, channel)
) WITHOUT ROWID;

INSERT INTO survey_days
SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COALESCE(f.channel, ''), COUNT(*),
  SUM(s.score >= 9), SUM(s.score >= 7 AND s.score < 9), SUM(s.score < 7), TOTAL(s.score)
FROM surveys s LEFT JOIN call_facts f ON f.call_id = s.call_id GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER survey_days_insert AFTER INSERT ON surveys BEGIN
  INSERT INTO survey_days
  SELECT CAST(NEW.received_at / 86400000 AS INTEGER) * 86400000, NEW.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COALESCE(f.channel, ''), 1,
    NEW.score >= 9, NEW.score >= 7 AND NEW.score < 9, NEW.score < 7, NEW.score
  FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = NEW.call_id WHERE true
  ON CONFLICT DO UPDATE SET n = n + 1, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;
CREATE TRIGGER survey_days_delete AFTER DELETE ON surveys BEGIN
  UPDATE survey_days SET n = n - 1, promoters = promoters - (OLD.score >= 9), passives = passives - (OLD.score >= 7 AND OLD.score < 9),
    detractors = detractors - (OLD.score < 7), score_sum = score_sum - OLD.score
  WHERE (day, kind, agent_id, queue, channel) IN (
    SELECT CAST(OLD.received_at / 86400000 AS INTEGER) * 86400000, OLD.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COALESCE(f.channel, '')
    FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = OLD.call_id);
END;
-- An answer re-linked (its call purged: ON DELETE SET NULL) or re-scored: out with the old, in with the new.
CREATE TRIGGER survey_days_update AFTER UPDATE OF call_id, kind, score, received_at ON surveys BEGIN
  UPDATE survey_days SET n = n - 1, promoters = promoters - (OLD.score >= 9), passives = passives - (OLD.score >= 7 AND OLD.score < 9),
    detractors = detractors - (OLD.score < 7), score_sum = score_sum - OLD.score
  WHERE (day, kind, agent_id, queue, channel) IN (
    SELECT CAST(OLD.received_at / 86400000 AS INTEGER) * 86400000, OLD.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COALESCE(f.channel, '')
    FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = OLD.call_id);
  INSERT INTO survey_days
  SELECT CAST(NEW.received_at / 86400000 AS INTEGER) * 86400000, NEW.kind, COALESCE(f.agent_id, ''), COALESCE(f.queue, ''), COALESCE(f.channel, ''), 1,
    NEW.score >= 9, NEW.score >= 7 AND NEW.score < 9, NEW.score < 7, NEW.score
  FROM (SELECT 1) LEFT JOIN call_facts f ON f.call_id = NEW.call_id WHERE true
  ON CONFLICT DO UPDATE SET n = n + 1, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;
CREATE TRIGGER survey_days_call_moves AFTER UPDATE OF agent_id, queue, channel ON call_facts
WHEN OLD.agent_id IS NOT NEW.agent_id OR OLD.queue IS NOT NEW.queue OR OLD.channel IS NOT NEW.channel BEGIN
  INSERT INTO survey_days
  SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(OLD.agent_id, ''), COALESCE(OLD.queue, ''), OLD.channel, -COUNT(*),
    -SUM(s.score >= 9), -SUM(s.score >= 7 AND s.score < 9), -SUM(s.score < 7), -TOTAL(s.score)
  FROM surveys s WHERE s.call_id = NEW.call_id GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET n = n + excluded.n, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
  INSERT INTO survey_days
  SELECT CAST(s.received_at / 86400000 AS INTEGER) * 86400000, s.kind, COALESCE(NEW.agent_id, ''), COALESCE(NEW.queue, ''), NEW.channel, COUNT(*),
    SUM(s.score >= 9), SUM(s.score >= 7 AND s.score < 9), SUM(s.score < 7), TOTAL(s.score)
  FROM surveys s WHERE s.call_id = NEW.call_id GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET n = n + excluded.n, promoters = promoters + excluded.promoters, passives = passives + excluded.passives,
    detractors = detractors + excluded.detractors, score_sum = score_sum + excluded.score_sum;
END;

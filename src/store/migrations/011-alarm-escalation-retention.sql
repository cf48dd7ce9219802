-- Earshot schema v10: alarms without a full scan.
-- The escalation scan (every few seconds) reads only open, not yet escalated alarms of the rules that
-- escalate, by rule and age: this partial index holds exactly those rows, so acked, resolved and
-- already escalated alarms cost the scan nothing however many there are.
CREATE INDEX alarms_escalation ON alarms(rule, raised_at) WHERE state = 'open' AND escalated_at IS NULL;
-- retention.alarmsDays purges resolved alarms by when they were resolved.
CREATE INDEX alarms_resolved ON alarms(resolved_at) WHERE state = 'resolved';

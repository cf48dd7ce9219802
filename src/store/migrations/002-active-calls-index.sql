-- Earshot schema v2. Crash recovery at open and the live console look for calls still 'active';
-- a partial index keeps that lookup small however many ended calls the table holds.
CREATE INDEX calls_active ON calls(state) WHERE state = 'active';

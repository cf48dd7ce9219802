-- Earshot schema v13: reserved for the cluster work (issue 17's branch needed 014 while 013 was being
-- written elsewhere; the loader allows no gaps). Intentionally empty: when the real 013 is merged,
-- this file goes and the real one takes its place.
SELECT 1;

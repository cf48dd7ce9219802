-- Placeholder on the channels branch only: migration 007 belongs to another branch. Drop this file
-- when merging (its real 007 takes the slot); kept so 008 applies without a gap here.
SELECT 1;

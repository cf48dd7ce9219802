-- Placeholder: migration 008 is assigned to another branch. Present only so 009 applies on branch care;
-- delete this file when the real 008-*.sql is merged.
SELECT 1;

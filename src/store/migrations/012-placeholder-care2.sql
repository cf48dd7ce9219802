-- Placeholder so branch sbc3 migrates 1..13 on its own: the owner's real migration replaces this file at merge.
SELECT 1;

ALTER TABLE scenes DROP CONSTRAINT IF EXISTS scenes_state_check;

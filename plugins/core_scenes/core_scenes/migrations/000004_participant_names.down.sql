ALTER TABLE scene_participants DROP COLUMN IF EXISTS character_name;

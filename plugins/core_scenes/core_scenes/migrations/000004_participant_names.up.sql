-- Display names for SceneInfo.participants and pose order; '' when not (yet) known.
ALTER TABLE scene_participants ADD COLUMN IF NOT EXISTS character_name TEXT NOT NULL DEFAULT '';

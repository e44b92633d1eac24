-- One row per pose (the text lives in the host's event store, on scene:<id>:ic). seq
-- orders the poses of a scene: they are written one at a time under the scene's row lock.
CREATE TABLE IF NOT EXISTS scene_poses (
    id           TEXT PRIMARY KEY,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    scene_id     TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    character_id TEXT NOT NULL,
    posed_at     TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_scene_poses_scene_seq ON scene_poses (scene_id, seq);
CREATE INDEX IF NOT EXISTS idx_scene_poses_scene_character ON scene_poses (scene_id, character_id, seq);

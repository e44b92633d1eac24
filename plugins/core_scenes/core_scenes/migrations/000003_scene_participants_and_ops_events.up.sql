CREATE TABLE IF NOT EXISTS scene_participants (
    scene_id     TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    character_id TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'member', 'invited')),
    joined_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (scene_id, character_id)
);

CREATE INDEX IF NOT EXISTS idx_scene_participants_scene_role ON scene_participants (scene_id, role);
CREATE INDEX IF NOT EXISTS idx_scene_participants_character ON scene_participants (character_id);
-- At most one owner per scene.
CREATE UNIQUE INDEX IF NOT EXISTS idx_scene_participants_one_owner
    ON scene_participants (scene_id) WHERE role = 'owner';

-- Append-only: the code only ever INSERTs here.
CREATE TABLE IF NOT EXISTS scene_ops_events (
    id          TEXT PRIMARY KEY,
    scene_id    TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind ~ '^[a-z]+\.[a-z_]+$'),
    actor_id    TEXT NOT NULL,
    target_id   TEXT NULL,
    payload     JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_scene_ops_events_scene ON scene_ops_events (scene_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS idx_scene_ops_events_target
    ON scene_ops_events (target_id, occurred_at DESC) WHERE target_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_scene_ops_events_scene_kind
    ON scene_ops_events (scene_id, kind, occurred_at DESC);

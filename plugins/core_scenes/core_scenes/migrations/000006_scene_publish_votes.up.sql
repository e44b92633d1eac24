-- Publish consent: one vote per participant (the latest counts); published_at is set when
-- every participant has voted yes.
CREATE TABLE IF NOT EXISTS scene_publish_votes (
    scene_id     TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    character_id TEXT NOT NULL,
    vote         BOOLEAN NOT NULL,
    cast_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (scene_id, character_id)
);

ALTER TABLE scenes ADD COLUMN IF NOT EXISTS published_at TIMESTAMPTZ;

-- The reference stored any visibility / pose order string the command path passed; the
-- service validates them now, and the database refuses anything else as a last guard.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conname = 'scenes_visibility_check' AND conrelid = 'scenes'::regclass
    ) THEN
        ALTER TABLE scenes
            ADD CONSTRAINT scenes_visibility_check CHECK (visibility IN ('open', 'private'));
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conname = 'scenes_pose_order_check' AND conrelid = 'scenes'::regclass
    ) THEN
        ALTER TABLE scenes
            ADD CONSTRAINT scenes_pose_order_check
            CHECK (pose_order IN ('free', 'strict', '3pr', '5pr'));
    END IF;
END
$$;

-- `scenes --tags a,b` / ListScenes(tags) filter with tags @> ARRAY[...].
CREATE INDEX IF NOT EXISTS idx_scenes_tags ON scenes USING GIN (tags);

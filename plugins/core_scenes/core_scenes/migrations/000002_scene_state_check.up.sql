DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conname = 'scenes_state_check' AND conrelid = 'scenes'::regclass
    ) THEN
        ALTER TABLE scenes
            ADD CONSTRAINT scenes_state_check
            CHECK (state IN ('active', 'paused', 'ended', 'archived'));
    END IF;
END
$$;

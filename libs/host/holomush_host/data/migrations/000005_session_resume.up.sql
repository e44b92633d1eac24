-- Session resume: a player who lost the connection types `resume <code>` to take the
-- detached session back. Only the SHA-256 of the code (hex) is stored; the code itself
-- is shown once, to the player.
ALTER TABLE sessions ADD COLUMN resume_code_hash TEXT COLLATE "C" NULL
    CHECK (resume_code_hash ~ '^[0-9a-f]{64}$');

CREATE UNIQUE INDEX sessions_resume_code_hash ON sessions (resume_code_hash)
    WHERE resume_code_hash IS NOT NULL;

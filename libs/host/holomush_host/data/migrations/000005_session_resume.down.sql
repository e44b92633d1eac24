DROP INDEX IF EXISTS sessions_resume_code_hash;
ALTER TABLE IF EXISTS sessions DROP COLUMN IF EXISTS resume_code_hash;

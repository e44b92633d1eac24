DROP TABLE IF EXISTS session_cursors;
DROP TABLE IF EXISTS session_streams;
ALTER TABLE IF EXISTS sessions DROP CONSTRAINT IF EXISTS sessions_presenting_is_member;
DROP TABLE IF EXISTS session_focus;
DROP TABLE IF EXISTS sessions;

-- Sessions, their focus memberships, extra streams and replay cursors (reference §4.14).
CREATE TABLE sessions (
    id                TEXT COLLATE "C" PRIMARY KEY,
    character_id      TEXT COLLATE "C" NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    player_id         TEXT COLLATE "C" NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'detached', 'expired')),
    ttl_seconds       INTEGER NOT NULL CHECK (ttl_seconds > 0),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_seen_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    detached_at       TIMESTAMPTZ NULL,
    expires_at        TIMESTAMPTZ NULL,
    presenting_kind   TEXT NULL,
    presenting_target TEXT NULL,
    CHECK ((presenting_kind IS NULL) = (presenting_target IS NULL))
);

-- One live (not expired) session per character.
CREATE UNIQUE INDEX sessions_one_live_per_character ON sessions (character_id)
    WHERE status <> 'expired';
CREATE INDEX sessions_status ON sessions (status);

CREATE TABLE session_focus (
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (session_id, kind, target_id)
);

-- The presenting focus must be one of the session's memberships; leaving it clears it.
ALTER TABLE sessions
    ADD CONSTRAINT sessions_presenting_is_member
    FOREIGN KEY (id, presenting_kind, presenting_target)
    REFERENCES session_focus (session_id, kind, target_id)
    ON DELETE SET NULL (presenting_kind, presenting_target);

-- Streams added with AddSessionStream (plugin-contributed).
CREATE TABLE session_streams (
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    stream     TEXT COLLATE "C" NOT NULL,
    added_at   TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (session_id, stream)
);

-- The newest event of each stream the session has seen; replay resumes after it.
CREATE TABLE session_cursors (
    session_id    TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    stream        TEXT COLLATE "C" NOT NULL,
    last_event_id TEXT COLLATE "C" NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (session_id, stream)
);

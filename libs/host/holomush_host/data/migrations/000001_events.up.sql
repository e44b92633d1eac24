-- The event store (reference §4.8). Ids are ULIDs assigned in commit order, so "id > x"
-- is "committed after x". The payload is `json`, not `jsonb`: it keeps the text exactly as
-- emitted, so an event read back equals the event delivered live.
CREATE TABLE events (
    id         TEXT COLLATE "C" PRIMARY KEY,
    stream     TEXT COLLATE "C" NOT NULL CHECK (char_length(stream) BETWEEN 1 AND 256),
    type       TEXT NOT NULL CHECK (char_length(type) BETWEEN 1 AND 128),
    actor_kind SMALLINT NOT NULL CHECK (actor_kind BETWEEN 0 AND 2),
    actor_id   TEXT NOT NULL CHECK (char_length(actor_id) BETWEEN 1 AND 256),
    payload    JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX events_stream_id ON events (stream, id);

-- Append a batch in one round trip. The advisory lock serialises appends across host
-- processes until commit, and the ids (made by the caller) must sort above every stored
-- id, so id order is commit order. If another process got ahead, nothing is written and
-- `previous` tells the caller the id to go above. On success `previous` is the newest id
-- before the batch ('' for none), which lets the caller's live feed check it missed nothing.
CREATE FUNCTION append_events(
    lock_key    BIGINT,
    ids         TEXT[],
    streams     TEXT[],
    types       TEXT[],
    actor_kinds SMALLINT[],
    actor_ids   TEXT[],
    payloads    TEXT[],
    created     TIMESTAMPTZ,
    channel     TEXT,
    notice      TEXT,
    durable     BOOLEAN,
    OUT accepted BOOLEAN,
    OUT previous TEXT
) LANGUAGE plpgsql AS $$
BEGIN
    IF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT COALESCE(max(id), '') INTO previous FROM events;
    IF previous COLLATE "C" >= ids[1] COLLATE "C" THEN
        accepted := FALSE;
        RETURN;
    END IF;
    INSERT INTO events (id, stream, type, actor_kind, actor_id, payload, created_at)
    SELECT batch.id, batch.stream, batch.type, batch.actor_kind, batch.actor_id,
           batch.payload::json, created
    FROM unnest(ids, streams, types, actor_kinds, actor_ids, payloads)
        AS batch (id, stream, type, actor_kind, actor_id, payload);
    PERFORM pg_notify(channel, notice);
    accepted := TRUE;
END
$$;

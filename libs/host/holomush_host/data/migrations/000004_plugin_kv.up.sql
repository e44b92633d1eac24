-- Plugin key/value storage (reference §4.13): one namespace per plugin name, which the host
-- takes from the calling plugin's identity. Values are bytes of UTF-8 text (a proto
-- string may contain NUL, which TEXT cannot hold).
CREATE TABLE plugin_kv (
    plugin_name TEXT COLLATE "C" NOT NULL,
    key         TEXT COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 256),
    value       BYTEA NOT NULL CHECK (octet_length(value) <= 65536),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (plugin_name, key)
);

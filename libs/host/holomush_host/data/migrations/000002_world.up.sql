-- Locations, characters and exits: the data behind WorldService (reference §1.6).
CREATE TABLE locations (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL DEFAULT 'persistent'
                CHECK (type IN ('persistent', 'scene', 'instance')),
    owner_id    TEXT COLLATE "C" NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- At most one default (arrival) location; seeding it twice finds the first one.
CREATE UNIQUE INDEX locations_one_default ON locations (is_default) WHERE is_default;

CREATE TABLE characters (
    id          TEXT COLLATE "C" PRIMARY KEY,
    player_id   TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    description TEXT NOT NULL DEFAULT '',
    location_id TEXT COLLATE "C" NOT NULL REFERENCES locations (id),
    is_guest    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Names are unique regardless of case ("guest-1" and "Guest-1" are the same person).
CREATE UNIQUE INDEX characters_name_unique ON characters (lower(name));
CREATE INDEX characters_location ON characters (location_id);

CREATE TABLE exits (
    id               TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    from_location_id TEXT COLLATE "C" NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    to_location_id   TEXT COLLATE "C" NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    bidirectional    BOOLEAN NOT NULL DEFAULT FALSE,
    return_name      TEXT NOT NULL DEFAULT '',
    locked           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CHECK (NOT bidirectional OR return_name <> '')
);

CREATE UNIQUE INDEX exits_name_unique ON exits (from_location_id, lower(name));
CREATE INDEX exits_to_location ON exits (to_location_id);

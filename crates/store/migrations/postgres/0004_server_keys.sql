-- A fingerprint (a keyed digest of a fixed text, never the key) of each key kept outside the
-- database, such as pin.key: a server started with a missing or different key refuses to start
-- instead of silently failing every PIN. Keep in step with the other backend's 0004.

CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

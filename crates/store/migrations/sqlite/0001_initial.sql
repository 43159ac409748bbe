-- clockface's schema on SQLite. Keep in step with ../postgres/0001_initial.sql: the same tables
-- and constraints, with SQLite's types (ids as BLOB, times as RFC 3339 TEXT).

CREATE TABLE companies (
    id               BLOB PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    settings_version INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL
);

CREATE TABLE admins (
    id            BLOB PRIMARY KEY NOT NULL,
    company_id    BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    admin_id   BLOB NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    company_id BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE roles (
    id                 BLOB PRIMARY KEY NOT NULL,
    company_id         BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    face_front         BOOLEAN NOT NULL,
    clock_for          BOOLEAN NOT NULL,
    view_own_time_card BOOLEAN NOT NULL,
    record_gps         BOOLEAN NOT NULL,
    face_front_version INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (company_id, name),
    UNIQUE (company_id, id)
);

CREATE TABLE employees (
    id           BLOB PRIMARY KEY NOT NULL,
    company_id   BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    number       TEXT NOT NULL,
    role_id      BLOB NOT NULL,
    role_version INTEGER NOT NULL,
    active       BOOLEAN NOT NULL,
    pin_lookup   TEXT,
    pin_hash     TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (company_id, number),
    UNIQUE (company_id, pin_lookup),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, role_id) REFERENCES roles (company_id, id)
);

CREATE TABLE crew_members (
    company_id  BLOB NOT NULL,
    foreman_id  BLOB NOT NULL,
    employee_id BLOB NOT NULL,
    PRIMARY KEY (foreman_id, employee_id),
    FOREIGN KEY (company_id, foreman_id) REFERENCES employees (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

CREATE TABLE registration_codes (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    company_id BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE devices (
    id               BLOB PRIMARY KEY NOT NULL,
    company_id       BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    has_front_camera BOOLEAN NOT NULL,
    synced_version   INTEGER NOT NULL,
    last_sync_at     TEXT,
    photo_rotation   INTEGER NOT NULL,
    registered_at    TEXT NOT NULL,
    revoked_at       TEXT,
    UNIQUE (company_id, id)
);

CREATE TABLE photos (
    company_id       BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    sha256           TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    byte_size        INTEGER NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    display_rotation INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (company_id, sha256)
);

CREATE TABLE punches (
    id                 BLOB PRIMARY KEY NOT NULL,
    company_id         BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    client_id          BLOB NOT NULL,
    employee_id        BLOB NOT NULL,
    device_id          BLOB NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    occurred_at        TEXT NOT NULL,
    utc_offset_minutes INTEGER NOT NULL,
    received_at        TEXT NOT NULL,
    clock_for_by       BLOB,
    photo_sha256       TEXT,
    no_photo_reason    TEXT,
    flagged            BOOLEAN NOT NULL,
    latitude           REAL,
    longitude          REAL,
    accuracy_m         REAL,
    settings_version   INTEGER NOT NULL,
    fingerprint        TEXT NOT NULL,
    UNIQUE (company_id, client_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id),
    FOREIGN KEY (company_id, clock_for_by) REFERENCES employees (company_id, id),
    FOREIGN KEY (company_id, device_id) REFERENCES devices (company_id, id),
    FOREIGN KEY (company_id, photo_sha256) REFERENCES photos (company_id, sha256),
    -- A punch has its photo or the reason it has none, never both, never neither.
    CHECK ((photo_sha256 IS NULL) <> (no_photo_reason IS NULL))
);

CREATE INDEX punches_by_employee_and_time ON punches (company_id, employee_id, occurred_at);

CREATE TABLE pin_failures (
    scope        TEXT NOT NULL CHECK (scope IN ('employee', 'device')),
    scope_id     BLOB NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (scope, scope_id)
);

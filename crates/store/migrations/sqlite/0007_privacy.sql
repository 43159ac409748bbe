-- Biometric privacy: each company's published retention and destruction policy (versioned), the
-- employees' written releases (signed or declined), when employment ended, which photos were
-- destroyed under which policy, a destruction log with no face data in it, the audit log's hash
-- chain (each entry carries the hash of the one before; audit_heads keeps each company's last),
-- an employee on audit lines, and devices' signing keys. Keep in step with ../postgres/0007_privacy.sql.

CREATE TABLE privacy_policies (
    company_id   BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    jurisdiction TEXT NOT NULL,
    photo_days   INTEGER NOT NULL,
    published_at TEXT NOT NULL,
    published_by BLOB REFERENCES admins (id),
    PRIMARY KEY (company_id, version)
);

-- The latest decision of each employee; every decision is in the audit log too.
CREATE TABLE biometric_releases (
    company_id      BLOB NOT NULL,
    employee_id     BLOB NOT NULL,
    release_version TEXT NOT NULL,
    policy_version  INTEGER NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('signed', 'declined')),
    signed_name     TEXT,
    device_id       BLOB,
    recorded_by     BLOB REFERENCES admins (id),
    decided_at      TEXT NOT NULL,
    PRIMARY KEY (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

ALTER TABLE employees ADD COLUMN left_at TEXT;

ALTER TABLE photos ADD COLUMN destroyed_at TEXT;
ALTER TABLE photos ADD COLUMN destroyed_under INTEGER;

CREATE TABLE destruction_log (
    id             BLOB PRIMARY KEY NOT NULL,
    company_id     BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('templates', 'photo')),
    employee_id    BLOB,
    count          INTEGER NOT NULL,
    policy_version INTEGER,
    reason         TEXT NOT NULL
);

CREATE INDEX destruction_log_by_company ON destruction_log (company_id, at);

ALTER TABLE audit_log ADD COLUMN employee_id BLOB;
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (company_id, seq);

CREATE TABLE audit_heads (
    company_id BLOB PRIMARY KEY NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
);

ALTER TABLE devices ADD COLUMN signing_key TEXT;

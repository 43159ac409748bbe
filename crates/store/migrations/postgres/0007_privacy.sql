-- Biometric privacy: each company's published retention and destruction policy (versioned), the
-- employees' written releases (signed or declined), when employment ended, which photos were
-- destroyed under which policy, a destruction log with no face data in it, the audit log's hash
-- chain (each entry carries the hash of the one before; audit_heads keeps each company's last),
-- an employee on audit lines, and devices' signing keys. Keep in step with ../sqlite/0007_privacy.sql.

CREATE TABLE privacy_policies (
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    jurisdiction TEXT NOT NULL,
    photo_days   BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by UUID REFERENCES admins (id),
    PRIMARY KEY (company_id, version)
);

-- The latest decision of each employee; every decision is in the audit log too.
CREATE TABLE biometric_releases (
    company_id      UUID NOT NULL,
    employee_id     UUID NOT NULL,
    release_version TEXT NOT NULL,
    policy_version  BIGINT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('signed', 'declined')),
    signed_name     TEXT,
    device_id       UUID,
    recorded_by     UUID REFERENCES admins (id),
    decided_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

ALTER TABLE employees ADD COLUMN left_at TIMESTAMPTZ;

ALTER TABLE photos ADD COLUMN destroyed_at TIMESTAMPTZ;
ALTER TABLE photos ADD COLUMN destroyed_under BIGINT;

CREATE TABLE destruction_log (
    id             UUID PRIMARY KEY NOT NULL,
    company_id     UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    at             TIMESTAMPTZ NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('templates', 'photo')),
    employee_id    UUID,
    count          BIGINT NOT NULL,
    policy_version BIGINT,
    reason         TEXT NOT NULL
);

CREATE INDEX destruction_log_by_company ON destruction_log (company_id, at);

ALTER TABLE audit_log ADD COLUMN employee_id UUID;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (company_id, seq);

CREATE TABLE audit_heads (
    company_id UUID PRIMARY KEY NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL
);

ALTER TABLE devices ADD COLUMN signing_key TEXT;

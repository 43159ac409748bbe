-- Face verification: biometric consent, enrolled face templates, the durable verification queue,
-- verdicts with their review, and an audit log. Keep in step with ../postgres/0002_face_verification.sql.

CREATE TABLE biometric_consents (
    company_id     BLOB NOT NULL,
    employee_id    BLOB NOT NULL,
    notice_version TEXT NOT NULL,
    recorded_by    BLOB NOT NULL REFERENCES admins (id),
    agreed_at      TEXT NOT NULL,
    PRIMARY KEY (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

CREATE TABLE face_templates (
    id           BLOB PRIMARY KEY NOT NULL,
    company_id   BLOB NOT NULL,
    employee_id  BLOB NOT NULL,
    embedding    BLOB NOT NULL,
    photo_sha256 TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('upload', 'punch', 'first_punch')),
    created_by   BLOB REFERENCES admins (id),
    created_at   TEXT NOT NULL,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

CREATE INDEX face_templates_by_employee ON face_templates (company_id, employee_id);

CREATE TABLE verification_jobs (
    punch_id     BLOB PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id   BLOB NOT NULL,
    attempts     INTEGER NOT NULL,
    run_after    TEXT NOT NULL,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL
);

CREATE INDEX verification_jobs_due ON verification_jobs (run_after);

CREATE TABLE verifications (
    punch_id     BLOB PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id   BLOB NOT NULL,
    verdict      TEXT NOT NULL,
    score        REAL,
    threshold    REAL NOT NULL,
    rotation     INTEGER NOT NULL,
    faces        INTEGER NOT NULL,
    message      TEXT NOT NULL,
    enrolled_now BOOLEAN NOT NULL,
    decided_at   TEXT NOT NULL
);

CREATE INDEX verifications_by_company ON verifications (company_id, verdict);

-- An admin's decision on a punch in the review queue.
CREATE TABLE punch_reviews (
    punch_id    BLOB PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id  BLOB NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('this_is_them', 'not_them')),
    reviewed_by BLOB NOT NULL REFERENCES admins (id),
    reviewed_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id         BLOB PRIMARY KEY NOT NULL,
    company_id BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);

CREATE INDEX audit_log_by_company ON audit_log (company_id, at);

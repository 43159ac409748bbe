-- Face verification: biometric consent, enrolled face templates, the durable verification queue,
-- verdicts with their review, and an audit log. Keep in step with ../sqlite/0002_face_verification.sql.

CREATE TABLE biometric_consents (
    company_id     UUID NOT NULL,
    employee_id    UUID NOT NULL,
    notice_version TEXT NOT NULL,
    recorded_by    UUID NOT NULL REFERENCES admins (id),
    agreed_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

CREATE TABLE face_templates (
    id           UUID PRIMARY KEY NOT NULL,
    company_id   UUID NOT NULL,
    employee_id  UUID NOT NULL,
    embedding    BYTEA NOT NULL,
    photo_sha256 TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('upload', 'punch', 'first_punch')),
    created_by   UUID REFERENCES admins (id),
    created_at   TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

CREATE INDEX face_templates_by_employee ON face_templates (company_id, employee_id);

CREATE TABLE verification_jobs (
    punch_id     UUID PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id   UUID NOT NULL,
    attempts     BIGINT NOT NULL,
    run_after    TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX verification_jobs_due ON verification_jobs (run_after);

CREATE TABLE verifications (
    punch_id     UUID PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id   UUID NOT NULL,
    verdict      TEXT NOT NULL,
    score        DOUBLE PRECISION,
    threshold    DOUBLE PRECISION NOT NULL,
    rotation     BIGINT NOT NULL,
    faces        BIGINT NOT NULL,
    message      TEXT NOT NULL,
    enrolled_now BOOLEAN NOT NULL,
    decided_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX verifications_by_company ON verifications (company_id, verdict);

-- An admin's decision on a punch in the review queue.
CREATE TABLE punch_reviews (
    punch_id    UUID PRIMARY KEY NOT NULL REFERENCES punches (id) ON DELETE CASCADE,
    company_id  UUID NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('this_is_them', 'not_them')),
    reviewed_by UUID NOT NULL REFERENCES admins (id),
    reviewed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id         UUID PRIMARY KEY NOT NULL,
    company_id UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);

CREATE INDEX audit_log_by_company ON audit_log (company_id, at);

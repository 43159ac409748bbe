-- Trust in the record (issue 22). Keep in step with ../sqlite/0013_trust.sql.
--
-- Approved means frozen: the figures of a card as they stood when it was approved (JSON,
-- `domain::approval::ApprovedFigures`), on the card's approval; for a period approved for payroll,
-- the figures of each card that had no approval of its own. Approvals of earlier releases have
-- none until the server freezes them at start.
ALTER TABLE card_approvals ADD COLUMN figures TEXT;

CREATE TABLE period_approval_figures (
    company_id   UUID NOT NULL,
    period_start DATE NOT NULL,
    employee_id  UUID NOT NULL,
    figures      TEXT NOT NULL,
    PRIMARY KEY (company_id, period_start, employee_id),
    FOREIGN KEY (company_id, period_start) REFERENCES period_approvals (company_id, period_start) ON DELETE CASCADE,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id)
);

-- What each export said of each employee (JSON: number, name and totals by pay rate), so that the
-- next export of a period that was reopened and changed can say what differs.
ALTER TABLE period_exports ADD COLUMN figures TEXT;

-- A deletion on request withdraws a signed release: its own state, with when, by whom and why.
ALTER TABLE biometric_releases ADD COLUMN withdrawn_at TIMESTAMPTZ;
ALTER TABLE biometric_releases ADD COLUMN withdrawn_by UUID REFERENCES admins (id);
ALTER TABLE biometric_releases ADD COLUMN withdrawn_reason TEXT;
-- A release signed on paper and recorded by an admin: the SHA-256 of its scan (in the photo store).
ALTER TABLE biometric_releases ADD COLUMN paper_scan_sha256 TEXT;

-- Whether an employee who withdrew is asked again at their next sign-in (stated in the policy).
ALTER TABLE privacy_policies ADD COLUMN reconsent BOOLEAN NOT NULL DEFAULT TRUE;

-- Guessing that gets slower and gets noticed (issue 23). Each wrong guess in a place counted over
-- a sliding window (a company's wrong PINs in the last hour), kept only as long as the window.
CREATE TABLE lockout_events (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX lockout_events_by_key ON lockout_events (scope, key, at);

-- What the company's admins are told: the first lock of a device, an employee or the company's
-- PIN sign-in in a window (on the admin pages' banner, and by e-mail where SMTP is set up).
CREATE TABLE security_notices (
    id          UUID PRIMARY KEY NOT NULL,
    company_id  UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    place       TEXT NOT NULL CHECK (place IN ('device', 'employee', 'company')),
    subject     TEXT NOT NULL,
    locked_until TIMESTAMPTZ NOT NULL,
    detail      TEXT NOT NULL,
    seen_at     TIMESTAMPTZ,
    seen_by     UUID REFERENCES admins (id)
);
CREATE INDEX security_notices_unseen ON security_notices (company_id, seen_at, at);

-- New PINs have at least this many digits (6 unless the company chooses 4 to 8); PINs set before
-- keep working. An employee's PIN length is kept when it is set, so the admin sees who has a PIN
-- shorter than the company asks (NULL: set before lengths were kept).
ALTER TABLE companies ADD COLUMN min_pin_digits BIGINT NOT NULL DEFAULT 6 CHECK (min_pin_digits BETWEEN 4 AND 8);
ALTER TABLE employees ADD COLUMN pin_digits BIGINT;

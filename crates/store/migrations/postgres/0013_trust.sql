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

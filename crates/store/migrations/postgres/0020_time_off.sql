-- Time off (issue 29): a company's time-off types (kind, name unique in the company case aside,
-- paid or not, accrual policy, a pay code per export format), requests (whole days, or hours of
-- one day) with the history of their answers, only ever added to; the ledger's adjustments made
-- by an admin (a starting balance, a correction: new rows, never edited); and the company's
-- holidays. Every row is a company's, and every reference to an employee, a type or a request
-- names the company too, so nothing can point into another company.
-- The tables are new, so their indexes are built with them (nothing to build online).
-- Existing companies get the domain's default types from the app, on first use, in one
-- transaction (`Store::seed_time_off_types`), not here: the domain's `default_types` stays the
-- one place they are written. Keep in step with ../sqlite/0020_time_off.sql.

CREATE TABLE time_off_types (
    id         UUID PRIMARY KEY NOT NULL,
    company_id UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('vacation', 'sick', 'holiday', 'unpaid', 'custom')),
    name       TEXT NOT NULL CHECK (name <> ''),
    paid       BOOLEAN NOT NULL,
    -- The pay code per export format (`TimeOffPayCodes`), as JSON, like payroll_settings.export_codes.
    pay_codes  TEXT NOT NULL,
    -- The accrual policy (`AccrualPolicy`), as JSON; none: no balance is kept.
    policy     TEXT,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, id),
    CHECK (NOT (kind = 'unpaid' AND paid))
);

-- One name per company, case aside.
CREATE UNIQUE INDEX time_off_types_name ON time_off_types (company_id, lower(name));

CREATE TABLE time_off_requests (
    id            UUID PRIMARY KEY NOT NULL,
    company_id    UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id   UUID NOT NULL,
    type_id       UUID NOT NULL,
    first_day     DATE NOT NULL,
    last_day      DATE NOT NULL,
    -- Part of one day, in seconds; none: whole days from first_day to last_day.
    hours_seconds BIGINT,
    -- The status of the latest event, kept with it in the same transaction.
    status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'declined', 'cancelled')),
    requested_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id),
    FOREIGN KEY (company_id, type_id) REFERENCES time_off_types (company_id, id),
    CHECK (last_day >= first_day),
    CHECK (hours_seconds IS NULL OR (first_day = last_day AND hours_seconds > 0 AND hours_seconds <= 86400))
);

-- An employee's requests by date (their list, their card, their balance).
CREATE INDEX time_off_requests_by_employee ON time_off_requests (company_id, employee_id, first_day);
-- The requests waiting for an answer (a supervisor's list and the count in the menu).
CREATE INDEX time_off_requests_pending ON time_off_requests (company_id, first_day) WHERE status = 'requested';
-- Approved time off by date (the cards and the overview of a period).
CREATE INDEX time_off_requests_approved ON time_off_requests (company_id, first_day) WHERE status = 'approved';

-- A request's history: asked, then answered; a row per event, numbered from 1, never changed.
CREATE TABLE time_off_request_events (
    company_id  UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    request_id  UUID NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq >= 1),
    status      TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'declined', 'cancelled')),
    -- Who: the employee (on the clock) or a user of the web app, exactly one.
    by_employee UUID,
    by_admin    UUID REFERENCES admins (id),
    at          TIMESTAMPTZ NOT NULL,
    note        TEXT NOT NULL,
    PRIMARY KEY (company_id, request_id, seq),
    FOREIGN KEY (company_id, request_id) REFERENCES time_off_requests (company_id, id),
    FOREIGN KEY (company_id, by_employee) REFERENCES employees (company_id, id),
    CHECK ((by_employee IS NULL) <> (by_admin IS NULL)),
    CHECK ((seq = 1) = (status = 'requested'))
);

-- An admin's lines in a balance's ledger: a starting balance or an adjustment, with its reason.
CREATE TABLE time_off_adjustments (
    id           UUID PRIMARY KEY NOT NULL,
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id  UUID NOT NULL,
    type_id      UUID NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('starting', 'adjustment')),
    effective_on DATE NOT NULL,
    seconds      BIGINT NOT NULL,
    reason       TEXT NOT NULL CHECK (reason <> ''),
    made_by      UUID NOT NULL REFERENCES admins (id),
    made_at      TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id),
    FOREIGN KEY (company_id, type_id) REFERENCES time_off_types (company_id, id)
);

CREATE INDEX time_off_adjustments_by_employee ON time_off_adjustments (company_id, employee_id, effective_on);

-- The company's holidays, one a day at most, with the hours each pays.
CREATE TABLE holidays (
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    day          DATE NOT NULL,
    name         TEXT NOT NULL CHECK (name <> ''),
    paid_seconds BIGINT NOT NULL CHECK (paid_seconds >= 0 AND paid_seconds <= 86400),
    PRIMARY KEY (company_id, day)
);

-- A request's history and the admins' ledger lines are only ever added to.
CREATE FUNCTION time_off_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is only added to, never changed', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER time_off_request_events_append_only BEFORE UPDATE OR DELETE ON time_off_request_events
    FOR EACH ROW EXECUTE FUNCTION time_off_append_only();
CREATE TRIGGER time_off_adjustments_append_only BEFORE UPDATE OR DELETE ON time_off_adjustments
    FOR EACH ROW EXECUTE FUNCTION time_off_append_only();

-- Payroll: each company's pay-period schedule, overtime rule, meal deduction and export codes;
-- corrections to time cards (new records naming what they replace: the device's punch is never
-- changed); approvals of an employee's card and of a whole pay period (an approval locks the
-- card); and the exports made of each period. Keep in step with ../sqlite/0008_payroll.sql.

CREATE TABLE payroll_settings (
    company_id         UUID PRIMARY KEY NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    pay_frequency      TEXT NOT NULL CHECK (pay_frequency IN ('weekly', 'biweekly', 'semimonthly', 'monthly')),
    period_anchor      DATE NOT NULL,
    workweek_starts    TEXT NOT NULL CHECK (workweek_starts IN ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')),
    overtime_rule      TEXT NOT NULL CHECK (overtime_rule IN ('none', 'federal', 'california')),
    meal_after_minutes BIGINT,
    meal_minutes       BIGINT,
    -- The payroll systems' codes (company code, earnings codes, payroll items), as JSON.
    export_codes       TEXT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CHECK ((meal_after_minutes IS NULL) = (meal_minutes IS NULL))
);

CREATE TABLE corrections (
    id                     UUID PRIMARY KEY NOT NULL,
    company_id             UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id            UUID NOT NULL,
    action                 TEXT NOT NULL CHECK (action IN ('add', 'move', 'void')),
    replaces_punch_id      UUID REFERENCES punches (id),
    replaces_correction_id UUID REFERENCES corrections (id),
    kind                   TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    -- The punch's time after the correction (add, move).
    at                     TIMESTAMPTZ,
    -- The time of what it replaces, as the card placed it when the correction was made (move, void).
    target_at              TIMESTAMPTZ,
    reason                 TEXT NOT NULL CHECK (reason <> ''),
    made_by                UUID NOT NULL REFERENCES admins (id),
    made_at                TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id),
    CHECK (NOT (replaces_punch_id IS NOT NULL AND replaces_correction_id IS NOT NULL)),
    CHECK ((action = 'add') = (replaces_punch_id IS NULL AND replaces_correction_id IS NULL)),
    CHECK ((action = 'void') = (at IS NULL))
);

CREATE INDEX corrections_by_time ON corrections (company_id, at);
CREATE INDEX corrections_by_target_time ON corrections (company_id, target_at);

-- A supervisor's (or admin's) approval of one employee's card for a pay period.
CREATE TABLE card_approvals (
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id  UUID NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    approved_by  UUID NOT NULL REFERENCES admins (id),
    approved_at  TIMESTAMPTZ NOT NULL,
    -- The period's first and last instants in the company's time zone (for punches arriving later).
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, employee_id, period_start),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id)
);

-- An admin's approval of the whole period for payroll.
CREATE TABLE period_approvals (
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    approved_by  UUID NOT NULL REFERENCES admins (id),
    approved_at  TIMESTAMPTZ NOT NULL,
    -- The period's first and last instants in the company's time zone (for punches arriving later).
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, period_start)
);

CREATE TABLE period_exports (
    id           UUID PRIMARY KEY NOT NULL,
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    format       TEXT NOT NULL,
    exported_by  UUID NOT NULL REFERENCES admins (id),
    exported_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX period_exports_by_period ON period_exports (company_id, period_start);

-- Web-app users: every row of `admins` is a user of one company, an Admin (everything, as all
-- users were before) or a Supervisor (the time cards of the employees assigned to them). A user
-- an admin invited has no password until they accept the invitation link; a user whose access
-- was turned off keeps their row (corrections, approvals and the audit log name them) but cannot
-- sign in. Keep in step with ../postgres/0009_users.sql.

ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'supervisor'));
ALTER TABLE admins ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE admins ADD COLUMN invited_by BLOB REFERENCES admins (id);
ALTER TABLE admins ADD COLUMN disabled_at TEXT;

-- One invitation link per user at a time (a new link replaces the old one); only its SHA-256.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    admin_id   BLOB NOT NULL UNIQUE REFERENCES admins (id) ON DELETE CASCADE,
    company_id BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Which employees' cards a supervisor sees, corrects and approves.
CREATE TABLE supervisor_employees (
    company_id  BLOB NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    admin_id    BLOB NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    employee_id BLOB NOT NULL,
    PRIMARY KEY (admin_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id)
);

CREATE INDEX supervisor_employees_by_employee ON supervisor_employees (company_id, employee_id);

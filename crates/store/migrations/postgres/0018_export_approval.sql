-- Payroll exports: a company may require a pay period to be approved for payroll before it is
-- exported (off by default, as before). Keep in step with ../sqlite/0018_export_approval.sql.
ALTER TABLE payroll_settings ADD COLUMN require_approval_before_export BOOLEAN NOT NULL DEFAULT FALSE;

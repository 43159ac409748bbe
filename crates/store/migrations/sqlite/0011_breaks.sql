-- Breaks: a clock-out marked on_break starts a break, a clock-in marked on_break ends it (the
-- punch kinds stay `in` and `out`, so every earlier rule and query about shifts still holds).
-- Whether breaks are paid is the company's payroll setting. Keep in step with ../postgres/0011_breaks.sql.
ALTER TABLE punches ADD COLUMN on_break BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE payroll_settings ADD COLUMN breaks_paid BOOLEAN NOT NULL DEFAULT FALSE;

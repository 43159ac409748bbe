-- no-transaction
-- Time off on the clock and on the pages (issue 29). Keep in step with
-- ../sqlite/0023_role_time_off.sql.
--
-- Applied a statement at a time by the store (postgres.rs, `migrate`) so that the index is built
-- without blocking writes (CONCURRENTLY), every statement can run again after a cut-off start
-- (IF NOT EXISTS), each ends with a semicolon and no comment holds one.
--
-- Whether a role's holders may ask for time off on the mobile clock: on for every role, those
-- made before too (asking is how a crew tells the office, and an admin turns it off for a role on
-- purpose, on the Roles page).
ALTER TABLE roles ADD COLUMN IF NOT EXISTS ask_time_off BOOLEAN NOT NULL DEFAULT TRUE;
-- The answers given lately (the Time off page's "answered in the last 30 days"), found by when
-- they were given rather than through every event of the company.
CREATE INDEX CONCURRENTLY IF NOT EXISTS time_off_request_events_by_time ON time_off_request_events (company_id, at);

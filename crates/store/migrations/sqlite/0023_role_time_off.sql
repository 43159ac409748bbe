-- Time off on the clock and on the pages (issue 29). Keep in step with
-- ../postgres/0023_role_time_off.sql.
--
-- Whether a role's holders may ask for time off on the mobile clock: on for every role, those
-- made before too (asking is how a crew tells the office, and an admin turns it off for a role on
-- purpose, on the Roles page).
ALTER TABLE roles ADD COLUMN ask_time_off BOOLEAN NOT NULL DEFAULT TRUE;

-- The answers given lately (the Time off page's "answered in the last 30 days"), found by when
-- they were given rather than through every event of the company.
CREATE INDEX time_off_request_events_by_time ON time_off_request_events (company_id, at);

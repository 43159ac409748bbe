-- Whether a role's holders may ask for time off on the mobile clock (issue 29). Keep in step
-- with ../postgres/0023_role_time_off.sql.
--
-- On for every role, those made before too: asking is how a crew tells the office, and an admin
-- turns it off for a role on purpose (the Roles page).
ALTER TABLE roles ADD COLUMN ask_time_off BOOLEAN NOT NULL DEFAULT TRUE;

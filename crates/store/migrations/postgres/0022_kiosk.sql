-- Kiosk mode (issue 28). Keep in step with ../sqlite/0022_kiosk.sql.
--
-- A registered tablet an admin turns into a kiosk identifies the worker in front of it by face,
-- among the employees who signed a release that names it; everyone else uses their PIN.
ALTER TABLE devices ADD COLUMN kiosk BOOLEAN NOT NULL DEFAULT FALSE;
-- Whom a kiosk identifies: NULL, every employee of the company; else this foreman and their crew.
ALTER TABLE devices ADD COLUMN kiosk_crew_of UUID;

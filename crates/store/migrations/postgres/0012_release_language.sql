-- The language an employee read the biometric notice and release in (en, es), the SHA-256 of the
-- exact text they read and that text itself, so an auditor sees what was signed. Decisions made
-- before this was recorded were read in English; their text was not kept. Keep in step with
-- ../sqlite/0012_release_language.sql.

ALTER TABLE biometric_releases ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE biometric_releases ADD COLUMN text_sha256 TEXT;
ALTER TABLE biometric_releases ADD COLUMN release_text TEXT;

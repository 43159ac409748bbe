-- Every hot query on an index (issue 27). Keep in step with ../postgres/0016_hot_indexes.sql.
-- The plan tests (crates/store/tests/plans.rs) show which query each one serves.
--
-- The punches that carry a photo, and when the photo was taken: the destruction job's photos due,
-- a photo's punches and employees, an employee's photos.
CREATE INDEX IF NOT EXISTS punches_by_photo ON punches (company_id, photo_sha256, occurred_at);
-- The company's punches of a pay period (the overview and the exports).
CREATE INDEX IF NOT EXISTS punches_by_time ON punches (company_id, occurred_at);
-- Whether a template holds on to a photo.
CREATE INDEX IF NOT EXISTS face_templates_by_photo ON face_templates (company_id, photo_sha256);
-- The photos not destroyed yet (the retention window's), oldest first: the destruction job
-- never reads the destroyed ones, which are most of the history.
CREATE INDEX IF NOT EXISTS photos_kept ON photos (company_id, created_at) WHERE destroyed_at IS NULL;
-- An employee's audit lines, newest first.
CREATE INDEX IF NOT EXISTS audit_log_by_employee ON audit_log (company_id, employee_id, seq);
-- A pay period's card approvals (the key starts with the employee).
CREATE INDEX IF NOT EXISTS card_approvals_by_period ON card_approvals (company_id, period_start);
-- What each start looks for, in indexes of only those rows (empty once the start dealt with
-- them): audit lines not chained yet, templates stored in plain, card approvals without figures.
CREATE INDEX IF NOT EXISTS audit_log_unchained ON audit_log (company_id) WHERE seq IS NULL;
CREATE INDEX IF NOT EXISTS face_templates_plain ON face_templates (id) WHERE length(embedding) = 512;
CREATE INDEX IF NOT EXISTS card_approvals_unfrozen ON card_approvals (company_id) WHERE figures IS NULL;

-- no-transaction
-- Every hot query on an index (issue 27). Keep in step with ../sqlite/0016_hot_indexes.sql.
-- The plan tests (crates/store/tests/plans.rs) show which query each one serves.
--
-- Built without blocking writes (CONCURRENTLY), which PostgreSQL refuses inside a transaction,
-- and sqlx would send this whole file as one implicit transaction: the store applies it itself,
-- one statement at a time (postgres.rs, `migrate`), so each statement here ends with a semicolon
-- and no comment holds one. A build cut off halfway leaves an INVALID index of the same name,
-- which IF NOT EXISTS would keep: the store drops it first and builds it again.
--
-- The punches that carry a photo, and when the photo was taken: the destruction job's photos due,
-- a photo's punches and employees, an employee's photos.
CREATE INDEX CONCURRENTLY IF NOT EXISTS punches_by_photo ON punches (company_id, photo_sha256, occurred_at);
-- The company's punches of a pay period (the overview and the exports).
CREATE INDEX CONCURRENTLY IF NOT EXISTS punches_by_time ON punches (company_id, occurred_at);
-- Whether a template holds on to a photo.
CREATE INDEX CONCURRENTLY IF NOT EXISTS face_templates_by_photo ON face_templates (company_id, photo_sha256);
-- The photos not destroyed yet (the retention window's), oldest first: the destruction job
-- never reads the destroyed ones, which are most of the history.
CREATE INDEX CONCURRENTLY IF NOT EXISTS photos_kept ON photos (company_id, created_at) WHERE destroyed_at IS NULL;
-- An employee's audit lines, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_by_employee ON audit_log (company_id, employee_id, seq);
-- A pay period's card approvals (the key starts with the employee).
CREATE INDEX CONCURRENTLY IF NOT EXISTS card_approvals_by_period ON card_approvals (company_id, period_start);
-- What each start looks for, in indexes of only those rows (empty once the start dealt with
-- them): audit lines not chained yet, templates stored in plain, card approvals without figures.
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_unchained ON audit_log (company_id) WHERE seq IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS face_templates_plain ON face_templates (id) WHERE length(embedding) = 512;
CREATE INDEX CONCURRENTLY IF NOT EXISTS card_approvals_unfrozen ON card_approvals (company_id) WHERE figures IS NULL;

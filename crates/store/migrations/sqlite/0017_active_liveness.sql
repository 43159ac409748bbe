-- The active liveness check (issue 24). Keep in step with ../postgres/0017_active_liveness.sql.
--
-- When a role's clock asks for a head turn (`never`; `when_unsure`: when the passive check of the
-- photo is unsure; `always`), and whether a check that fails on the device is tried once more
-- before the punch is sent (flagged either way). A separate column: 0014's CHECK on
-- roles.liveness cannot be widened on SQLite without rebuilding the table.
ALTER TABLE roles ADD COLUMN active_check TEXT NOT NULL DEFAULT 'never' CHECK (active_check IN ('never', 'when_unsure', 'always'));
ALTER TABLE roles ADD COLUMN liveness_retry BOOLEAN NOT NULL DEFAULT FALSE;

-- The burst of frames a punch carried (one image, the frames tiled four to a row, stored as a
-- photo), the direction the worker was asked to turn, and how many frames it holds.
ALTER TABLE punches ADD COLUMN burst_sha256 TEXT;
ALTER TABLE punches ADD COLUMN burst_prompt TEXT CHECK (burst_prompt IN ('left', 'right'));
ALTER TABLE punches ADD COLUMN burst_frames INTEGER;
-- A burst's punch (whose employee may see it, when it was taken for the retention window; an
-- employee's bursts are read with their punches).
CREATE INDEX punches_by_burst ON punches (company_id, burst_sha256) WHERE burst_sha256 IS NOT NULL;

-- What the active check found: whether it passed, and the head turn measured in the prompted
-- direction (NULL: no burst was judged).
ALTER TABLE verifications ADD COLUMN active_passed BOOLEAN;
ALTER TABLE verifications ADD COLUMN active_turn REAL;

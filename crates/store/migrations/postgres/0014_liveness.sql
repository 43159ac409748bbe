-- Liveness (issue 24): how a role's FaceFront photos are checked (`photo_only`, or `passive`: a
-- photo that may be of a photo or a screen is flagged), and the liveness score each verdict found
-- with the threshold it was judged against (NULL: no liveness check, or decided before it existed).
ALTER TABLE roles ADD COLUMN liveness TEXT NOT NULL DEFAULT 'passive' CHECK (liveness IN ('photo_only', 'passive'));
ALTER TABLE verifications ADD COLUMN liveness_score DOUBLE PRECISION;
ALTER TABLE verifications ADD COLUMN liveness_threshold DOUBLE PRECISION;

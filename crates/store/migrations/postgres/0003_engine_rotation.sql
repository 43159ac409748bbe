-- The turn the face engine found a photo still needed, beyond its display rotation (the device's
-- setting or an admin's turn), kept apart so that a page shows display + engine and an admin's
-- later turn still counts. Existing verdicts kept only the total: their engine turn is the total
-- less the photo's display rotation. Keep in step with the other backend's 0003.

ALTER TABLE verifications ADD COLUMN engine_rotation BIGINT NOT NULL DEFAULT 0;

UPDATE verifications SET engine_rotation = ((rotation - COALESCE((
    SELECT ph.display_rotation FROM punches p JOIN photos ph ON ph.company_id = p.company_id AND ph.sha256 = p.photo_sha256
    WHERE p.id = verifications.punch_id), 0)) % 360 + 360) % 360;

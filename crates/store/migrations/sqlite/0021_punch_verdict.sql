-- A punch's verdict on its row (issue 27). Keep in step with ../postgres/0021_punch_verdict.sql.
--
-- The pay period overview reads every punch of a period and needs each photo's verdict (a photo
-- without a verdict, or with one that needs a person, is a flag on the card). Read from
-- verifications it was one index search per punch (1.3 s of 2.6 s for 560,000 punches on
-- SQLite); kept on the punch, it comes with the punch's own row. The store writes it in the
-- transaction that stores the verification (a punch keeps its first verdict, as there).
ALTER TABLE punches ADD COLUMN verdict TEXT;
-- The verdicts of the punches stored before this release.
UPDATE punches SET verdict = (SELECT v.verdict FROM verifications v WHERE v.punch_id = punches.id)
    WHERE verdict IS NULL AND id IN (SELECT punch_id FROM verifications);

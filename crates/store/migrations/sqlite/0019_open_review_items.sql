-- The review queue on an index (issue 27). Keep in step with ../postgres/0019_open_review_items.sql.
--
-- Whether a punch is an open review item: flagged, or its verdict needs a person, and nobody has
-- reviewed it. Kept by the store in the transaction of each write that changes it (the punch
-- flagged when stored, a verdict that needs review, a review); the queue reads only these.
ALTER TABLE punches ADD COLUMN review_open BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether a punch reached the server after an approval of the card or period it falls in: set
-- when it is stored into an approved window (or an approval covers it after it arrived), taken
-- off when that approval is reopened.
ALTER TABLE punches ADD COLUMN after_approval BOOLEAN NOT NULL DEFAULT FALSE;
-- The open items of the punches stored before this release: unreviewed, and flagged or with a
-- verdict other than a match (Verdict::needing_review).
UPDATE punches SET review_open = TRUE WHERE NOT review_open
    AND NOT EXISTS (SELECT 1 FROM punch_reviews r WHERE r.punch_id = punches.id)
    AND (flagged OR EXISTS (SELECT 1 FROM verifications v WHERE v.punch_id = punches.id
        AND v.verdict IN ('mismatch', 'no_face', 'several_faces', 'poor_quality', 'not_enrolled', 'unreadable', 'possible_spoof')));
-- The punches stored before this release that arrived after an approval they fall in.
UPDATE punches SET after_approval = TRUE WHERE NOT after_approval AND (
    EXISTS (SELECT 1 FROM card_approvals a WHERE a.company_id = punches.company_id AND a.employee_id = punches.employee_id
        AND punches.occurred_at >= a.window_start AND punches.occurred_at < a.window_end AND punches.received_at > a.approved_at)
    OR EXISTS (SELECT 1 FROM period_approvals a WHERE a.company_id = punches.company_id
        AND punches.occurred_at >= a.window_start AND punches.occurred_at < a.window_end AND punches.received_at > a.approved_at));
-- The review queue, newest first, and the punches that arrived after approval, latest first:
-- indexes of only those punches.
CREATE INDEX punches_to_review ON punches (company_id, occurred_at DESC, id DESC) WHERE review_open;
CREATE INDEX punches_after_approval ON punches (company_id, received_at DESC, id DESC) WHERE after_approval;

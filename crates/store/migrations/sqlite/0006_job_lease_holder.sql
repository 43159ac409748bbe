-- Which node holds a verification job's lease (its node name), so that an operator of several
-- nodes, and the two-node test, can see whose jobs a node that died had in hand. Keep in step
-- with the other backend's 0006.

ALTER TABLE verification_jobs ADD COLUMN leased_by TEXT;

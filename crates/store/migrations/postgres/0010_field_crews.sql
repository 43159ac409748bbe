-- Field crews: jobs (with an optional geofence), cost codes (for every job or for some), and on
-- each punch the job and cost code it was made for, why it has no position when the role records
-- GPS, and how far from its job's fence centre it was. Keep in step with ../sqlite/0010_field_crews.sql.

CREATE TABLE jobs (
    id             UUID PRIMARY KEY NOT NULL,
    company_id     UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    number         TEXT NOT NULL,
    name           TEXT NOT NULL,
    address        TEXT NOT NULL,
    fence_latitude  DOUBLE PRECISION,
    fence_longitude DOUBLE PRECISION,
    fence_radius_m  DOUBLE PRECISION,
    active         BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, id),
    UNIQUE (company_id, number),
    CHECK ((fence_latitude IS NULL) = (fence_longitude IS NULL) AND (fence_latitude IS NULL) = (fence_radius_m IS NULL))
);

CREATE TABLE cost_codes (
    id         UUID PRIMARY KEY NOT NULL,
    company_id UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    number     TEXT NOT NULL,
    name       TEXT NOT NULL,
    all_jobs   BOOLEAN NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, id),
    UNIQUE (company_id, number)
);

-- The jobs a cost code is for when it is not for all of them.
CREATE TABLE cost_code_jobs (
    company_id   UUID NOT NULL,
    cost_code_id UUID NOT NULL,
    job_id       UUID NOT NULL,
    PRIMARY KEY (company_id, cost_code_id, job_id),
    FOREIGN KEY (company_id, cost_code_id) REFERENCES cost_codes (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, job_id) REFERENCES jobs (company_id, id)
);

ALTER TABLE punches ADD COLUMN job_id UUID REFERENCES jobs (id);
ALTER TABLE punches ADD COLUMN cost_code_id UUID REFERENCES cost_codes (id);
-- Why a punch whose role records GPS has no position: permission_denied, timeout, unavailable.
ALTER TABLE punches ADD COLUMN no_position_reason TEXT;
-- The distance from its job's fence centre, when both the fence and the position are known.
ALTER TABLE punches ADD COLUMN fence_distance_m DOUBLE PRECISION;

-- PostgreSQL can add the composite keys SQLite cannot add to an existing table: a punch's job
-- and cost code are its company's.
ALTER TABLE punches ADD CONSTRAINT punches_job_in_company FOREIGN KEY (company_id, job_id) REFERENCES jobs (company_id, id);
ALTER TABLE punches ADD CONSTRAINT punches_cost_code_in_company FOREIGN KEY (company_id, cost_code_id) REFERENCES cost_codes (company_id, id);

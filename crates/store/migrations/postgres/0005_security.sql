-- Security: wrong guesses counted in every place they count in (device, employee, company,
-- admin account, client address), replacing pin_failures; what an admin is told of failed
-- sign-ins since the last; TOTP second factor with recovery codes and the half-done sign-in
-- between password and code; the flags a punch was stored with. Keep in step with
-- ../sqlite/0005_security.sql.

CREATE TABLE lockouts (
    scope        TEXT NOT NULL CHECK (scope IN ('device', 'employee', 'company', 'account', 'address')),
    key          TEXT NOT NULL,
    -- Guesses counted in this round, and locks earlier in this window.
    failures     BIGINT NOT NULL,
    locks        BIGINT NOT NULL DEFAULT 0,
    window_start TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

DROP TABLE pin_failures;

ALTER TABLE admins ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE admins ADD COLUMN last_failed_sign_in_at TIMESTAMPTZ;
ALTER TABLE admins ADD COLUMN last_sign_in_at TIMESTAMPTZ;
-- The TOTP secret, encrypted with the data folder's secrets key (never stored in the clear).
ALTER TABLE admins ADD COLUMN totp_secret BYTEA;
ALTER TABLE admins ADD COLUMN totp_enabled_at TIMESTAMPTZ;

CREATE TABLE recovery_codes (
    admin_id  UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (admin_id, code_hash)
);

-- A sign-in whose password was right, waiting for the second factor (a few minutes at most).
CREATE TABLE pending_sign_ins (
    token_hash TEXT PRIMARY KEY NOT NULL,
    admin_id   UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);

-- What the server could not vouch for when the punch arrived (an inactive employee, a clock-out
-- with no clock-in, a time before the device was registered ...), as a JSON list of {flag, detail}.
ALTER TABLE punches ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';

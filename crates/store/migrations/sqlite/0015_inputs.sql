-- Inputs that must be possible (issue 23). Keep in step with ../postgres/0015_inputs.sql.
--
-- A TOTP code is used once (RFC 6238 5.2): the last 30-second step an admin's code was accepted
-- for; a code of that step or an earlier one is refused. NULL until the first code is used.
ALTER TABLE admins ADD COLUMN totp_last_step INTEGER;

-- A resend must say what the first send said (issue 23): the photo rotation the device sent with
-- the punch (degrees; NULL when it sent none, and for punches stored before this), compared with
-- a resend's along with the fields the fingerprint covers and the settings version.
ALTER TABLE punches ADD COLUMN photo_rotation INTEGER;

-- A single-use token its client revoked (RFC 7009, POST /oauth2/revoke) before anyone redeemed it: never redeemable
-- after that, on any replica, whether or not the TOKEN rule queued with it has reached the revocation feed yet.
ALTER TABLE single_use_token ADD COLUMN revoked_at timestamptz;

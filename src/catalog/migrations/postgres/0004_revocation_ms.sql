-- revoked_tokens.revoked_at becomes milliseconds: for "sub:" entries it is
-- the principal's generation (tokens below it are revoked), for "tid:" the
-- time up to which a tenant's tokens are; seconds could not tell a token
-- issued in the same second after a revocation from one before it.
UPDATE revoked_tokens SET revoked_at = revoked_at * 1000;

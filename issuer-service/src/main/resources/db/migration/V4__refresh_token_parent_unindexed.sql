-- No statement looks refresh tokens up by the token they replaced: rotation finds a token by its hash, a family by its
-- session. The index cost a write on every rotation for nothing. parent_hash stays, for an operator who follows a
-- family's chain by hand (a session's rows are few; `WHERE sid = ...` finds them through refresh_token_by_session).
DROP INDEX refresh_token_by_parent;

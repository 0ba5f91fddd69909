-- Credentials (DESIGN §2, issue 11): only SHA-256 hashes of tokens are kept, so a copy of the
-- database opens no session. A candidate token reaches one session and goes with it; operator
-- tokens are named, scoped and revoked rather than deleted, so the access log stays readable.
CREATE TABLE session_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX session_tokens_by_session ON session_tokens (session_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

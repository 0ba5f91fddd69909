-- What the candidate agreed to before any device was opened (DESIGN §2): the consent text's
-- version, which devices, when (JSON text). Kept with the session and deleted with it.
CREATE TABLE consents (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    consent     TEXT NOT NULL,
    given_at    BIGINT NOT NULL
);

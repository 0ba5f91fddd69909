-- The interviewer's state for a session (plan, current topic, open question), JSON text owned by
-- the interviewer crate. Saved in the same transaction as the turn it follows, so a restart
-- resumes exactly where the interview was.
CREATE TABLE interviews (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

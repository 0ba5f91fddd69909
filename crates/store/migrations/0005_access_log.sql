-- Who read a session's results, report or export, and when (DESIGN §2): the candidate can see
-- every read. Deleted with the session.
CREATE TABLE access_log (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    action      TEXT NOT NULL,
    client      TEXT NOT NULL
);
CREATE INDEX access_log_by_session ON access_log (session_id, at);

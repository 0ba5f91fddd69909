-- Portable SQL for SQLite and PostgreSQL alike: timestamps are Unix milliseconds (BIGINT) and
-- structured fields JSON text, so one set of queries serves both backends.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('created', 'in_progress', 'paused', 'completed', 'cancelled')),
    metadata    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    started_at  BIGINT,
    ended_at    BIGINT,
    turn_count  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user_created ON sessions (user_id, created_at DESC);
CREATE INDEX sessions_status_created ON sessions (status, created_at DESC);
CREATE INDEX sessions_created ON sessions (created_at DESC);

CREATE TABLE turns (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx         BIGINT NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT,
    score       TEXT,
    overall     BIGINT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (session_id, idx)
);

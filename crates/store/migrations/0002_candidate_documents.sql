-- The parsed résumé, job description and their match, kept beside the session (JSON text), so
-- listing sessions stays cheap and the documents are read only where needed.
CREATE TABLE candidate_documents (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    documents   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

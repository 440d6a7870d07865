-- API tokens: a bearer token is shown once, when it is created; only its
-- SHA-256 is kept. A token belongs to one workspace and reads, or reads
-- and writes; a revoked token keeps its row (who had access, until when).
CREATE TABLE api_tokens (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    access       TEXT NOT NULL CHECK (access IN ('read', 'write')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    PRIMARY KEY (workspace_id, id)
);

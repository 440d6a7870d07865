-- Logins: what a person may do in the workspace (admin: everything;
-- editor: OKRs and check-ins of their team; viewer: read), their password
-- as an Argon2id hash (the column exists since version 1, unused until
-- now), and the sessions a login opens, kept as the SHA-256 of their
-- secret. Neither is exported: after an import, people set passwords again.
ALTER TABLE users ADD COLUMN access TEXT NOT NULL DEFAULT 'viewer'
    CHECK (access IN ('admin', 'editor', 'viewer'));

CREATE TABLE login_sessions (
    token_sha256 TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    user_key     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    FOREIGN KEY (workspace_id, user_key) REFERENCES users (workspace_id, key)
);

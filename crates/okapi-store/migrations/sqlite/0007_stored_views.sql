-- Views of the data a refresh computed besides the KPI values (inactive
-- paying accounts, the accounts behind each MRR movement, health scores,
-- time to value, retention cohorts), stored as JSON documents so that
-- pages read them without scanning the data. One row per workspace and
-- view; a refresh replaces the row whole.
CREATE TABLE stored_views (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    computed_at  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

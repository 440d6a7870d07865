-- KPI values computed from the data and stored, so that pages read them
-- without scanning the data. One row per KPI, segment ('' for all
-- accounts), grain and period; `value` is the exact decimal text, NULL
-- when the value is absent (`note` says why). Every row carries its
-- workspace, like every other table.
CREATE TABLE kpi_values (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    kpi_id       TEXT NOT NULL,
    segment      TEXT NOT NULL DEFAULT '',
    grain        TEXT NOT NULL,
    period_start TEXT NOT NULL,
    value        TEXT,
    note         TEXT,
    unit         TEXT NOT NULL,
    computed_at  TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kpi_id, segment, grain, period_start)
);

-- A set of values (one grain, one segment) is replaced whole.
CREATE INDEX kpi_values_by_set ON kpi_values (workspace_id, grain, segment);

-- The last refresh of each workspace: when, over which data (the
-- fingerprint of its files) and which definitions (the settings and the
-- key results' KPI links), how many values, how long it took.
CREATE TABLE kpi_refreshes (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id),
    computed_at  TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    definitions  TEXT NOT NULL,
    kpis         BIGINT NOT NULL,
    value_count  BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL
);

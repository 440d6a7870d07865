-- Findings: what the insights found at each refresh (an anomaly, a
-- dissonance, an OKR or a customer at risk), one row per finding by its
-- stable id (kind, subject and period), so that a finding found again is
-- the same row: first seen at one refresh, last seen at the latest that
-- found it. Acknowledging one records who, when and a note.
CREATE TABLE findings (
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    period          TEXT,
    good            BIGINT NOT NULL,
    sentence        TEXT NOT NULL,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    ack_note        TEXT,
    PRIMARY KEY (workspace_id, id)
);

-- When findings were last recorded: the findings last seen then are the
-- current ones.
CREATE TABLE finding_runs (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id),
    ran_at       TEXT NOT NULL
);

-- Alerts sent (or tried) to webhooks: one row per rule, finding and
-- webhook, so that a finding is never sent twice to the same webhook for
-- the same rule. The webhook is named as in okapi.toml, never by its
-- address (which may carry a secret).
CREATE TABLE alert_deliveries (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    rule         TEXT NOT NULL,
    finding_id   TEXT NOT NULL,
    webhook      TEXT NOT NULL,
    sentence     TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    http_status  BIGINT,
    error        TEXT,
    first_try_at TEXT NOT NULL,
    last_try_at  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, rule, finding_id, webhook)
);

CREATE INDEX alert_deliveries_by_time ON alert_deliveries (workspace_id, last_try_at);

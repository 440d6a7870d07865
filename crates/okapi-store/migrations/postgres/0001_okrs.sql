-- The OKR model. Every row belongs to a workspace (tenant); every key is
-- unique within its workspace, and every reference carries the workspace,
-- so a row can only ever point at rows of its own workspace.
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    vision      TEXT,
    profile     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE teams (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key          TEXT NOT NULL,
    name         TEXT NOT NULL,
    mission      TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE users (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    key           TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT,
    role          TEXT,
    team_key      TEXT,
    password_hash TEXT,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, team_key) REFERENCES teams (workspace_id, key)
);

CREATE TABLE cycles (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key          TEXT NOT NULL,
    name         TEXT NOT NULL,
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    state        TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, key),
    CHECK (end_date >= start_date)
);

CREATE TABLE objectives (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key          TEXT NOT NULL,
    cycle_key    TEXT NOT NULL,
    title        TEXT NOT NULL,
    why          TEXT,
    level        TEXT NOT NULL,
    team_key     TEXT,
    owner_key    TEXT,
    parent_key   TEXT,
    committed    BIGINT NOT NULL,
    state        TEXT NOT NULL,
    final_score  DOUBLE PRECISION,
    grade        TEXT,
    flagged      BIGINT NOT NULL DEFAULT 0,
    version      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, cycle_key) REFERENCES cycles (workspace_id, key),
    FOREIGN KEY (workspace_id, team_key) REFERENCES teams (workspace_id, key),
    FOREIGN KEY (workspace_id, owner_key) REFERENCES users (workspace_id, key),
    FOREIGN KEY (workspace_id, parent_key) REFERENCES objectives (workspace_id, key)
);

CREATE TABLE key_results (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    key           TEXT NOT NULL,
    objective_key TEXT NOT NULL,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    kpi_id        TEXT,
    segment       TEXT,
    grain         TEXT,
    baseline      DOUBLE PRECISION,
    target        DOUBLE PRECISION,
    above         BIGINT,
    unit          TEXT,
    due_date      TEXT,
    weight        DOUBLE PRECISION NOT NULL DEFAULT 1,
    kr_type       TEXT,
    funnel        TEXT,
    is_leading    BIGINT,
    maturity      TEXT,
    why           TEXT,
    owner_key     TEXT,
    final_score   DOUBLE PRECISION,
    grade         TEXT,
    reflection    TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, objective_key) REFERENCES objectives (workspace_id, key),
    FOREIGN KEY (workspace_id, owner_key) REFERENCES users (workspace_id, key)
);

CREATE TABLE checkins (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    seq          BIGINT NOT NULL,
    kr_key       TEXT NOT NULL,
    at           TEXT NOT NULL,
    value        DOUBLE PRECISION,
    confidence   TEXT NOT NULL,
    note         TEXT,
    author_key   TEXT,
    source       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq),
    FOREIGN KEY (workspace_id, kr_key) REFERENCES key_results (workspace_id, key),
    FOREIGN KEY (workspace_id, author_key) REFERENCES users (workspace_id, key)
);

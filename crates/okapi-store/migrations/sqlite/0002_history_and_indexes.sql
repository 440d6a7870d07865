-- Check-ins are history: once written, never changed.
CREATE TRIGGER checkins_append_only BEFORE UPDATE ON checkins
BEGIN
    SELECT RAISE(ABORT, 'check-ins are append-only');
END;

CREATE INDEX objectives_by_cycle ON objectives (workspace_id, cycle_key);
CREATE INDEX key_results_by_objective ON key_results (workspace_id, objective_key);
CREATE INDEX checkins_by_kr ON checkins (workspace_id, kr_key, at);

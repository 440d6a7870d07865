-- Check-ins are history: once written, never changed.
CREATE FUNCTION okapi_checkins_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'check-ins are append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER checkins_append_only BEFORE UPDATE ON checkins
FOR EACH ROW EXECUTE FUNCTION okapi_checkins_append_only();

CREATE INDEX objectives_by_cycle ON objectives (workspace_id, cycle_key);
CREATE INDEX key_results_by_objective ON key_results (workspace_id, objective_key);
CREATE INDEX checkins_by_kr ON checkins (workspace_id, kr_key, at);

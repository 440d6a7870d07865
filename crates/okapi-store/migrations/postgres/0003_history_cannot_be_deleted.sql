-- Check-ins are history: never deleted either, row by row or by TRUNCATE.
-- (A key result without check-ins may still be deleted: nothing of its
-- history goes.)
CREATE FUNCTION okapi_checkins_never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'check-ins are append-only: history cannot be deleted';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER checkins_never_deleted BEFORE DELETE ON checkins
FOR EACH ROW EXECUTE FUNCTION okapi_checkins_never_deleted();

CREATE TRIGGER checkins_never_truncated BEFORE TRUNCATE ON checkins
FOR EACH STATEMENT EXECUTE FUNCTION okapi_checkins_never_deleted();

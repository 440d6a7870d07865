-- Check-ins are history: never deleted either. (A key result without
-- check-ins may still be deleted: nothing of its history goes.)
CREATE TRIGGER checkins_never_deleted BEFORE DELETE ON checkins
BEGIN
    SELECT RAISE(ABORT, 'check-ins are append-only: history cannot be deleted');
END;

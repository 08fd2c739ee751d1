"""Tree and calendar invariants that Django's ORM cannot declare."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

SQL = """
ALTER TABLE venues_space
    ADD CONSTRAINT space_parent_same_venue
    FOREIGN KEY (parent_id, venue_id) REFERENCES venues_space (id, venue_id)
    DEFERRABLE INITIALLY IMMEDIATE;

ALTER TABLE venues_closure
    ADD CONSTRAINT closure_space_same_venue
    FOREIGN KEY (space_id, venue_id) REFERENCES venues_space (id, venue_id) ON DELETE CASCADE;

ALTER TABLE venues_openinghours
    ADD CONSTRAINT opening_hours_no_overlap
    EXCLUDE USING gist (venue_id WITH =, weekday WITH =,
                        int4range(opens_minute, closes_minute) WITH &&);

-- No cycles: a space may not become a descendant of itself. Tree changes of one
-- venue take a transaction-level advisory lock first, so two concurrent moves
-- (A under B, B under A) are checked one after the other and cannot both pass.
CREATE FUNCTION space_check_tree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('venueos.space_tree:' || NEW.venue_id::text, 0));
    IF EXISTS (
        WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM venues_space WHERE id = NEW.parent_id
            UNION
            SELECT s.id, s.parent_id FROM venues_space s JOIN up ON s.id = up.parent_id
        )
        SELECT 1 FROM up WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'space_cycle: % cannot be placed under its own descendant %',
            NEW.id, NEW.parent_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'space_cycle';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER space_check_tree
    BEFORE INSERT OR UPDATE OF parent_id, venue_id ON venues_space
    FOR EACH ROW EXECUTE FUNCTION space_check_tree();
"""

REVERSE = """
DROP TRIGGER space_check_tree ON venues_space;
DROP FUNCTION space_check_tree();
ALTER TABLE venues_openinghours DROP CONSTRAINT opening_hours_no_overlap;
ALTER TABLE venues_closure DROP CONSTRAINT closure_space_same_venue;
ALTER TABLE venues_space DROP CONSTRAINT space_parent_same_venue;
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]

    operations = [BtreeGistExtension(), migrations.RunSQL(SQL, REVERSE)]

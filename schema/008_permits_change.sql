-- 008_permits_change.sql — permits as work really goes (issue 16).
--
-- Training validity: each training is valid until a day (valid_until, inclusive, China time);
-- when it is not given, the re-training cycle sets it: one year after completed_on (the
-- annual re-training of special-operation workers). A welder's training counts while the
-- latest valid_until has not passed: the check-in decision refuses an expired training like a
-- missing one (training_expired), and the counts count a welder as trained only on the days
-- a training of theirs is valid.
ALTER TABLE welder_trainings ADD COLUMN valid_until date;
UPDATE welder_trainings SET valid_until = (completed_on + interval '1 year')::date;

CREATE FUNCTION welder_trainings_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.valid_until := coalesce(NEW.valid_until, (NEW.completed_on + interval '1 year')::date);
    RETURN NEW;
END
$$;
CREATE TRIGGER welder_trainings_cycle BEFORE INSERT OR UPDATE ON welder_trainings
    FOR EACH ROW EXECUTE FUNCTION welder_trainings_cycle();

ALTER TABLE welder_trainings ALTER COLUMN valid_until SET NOT NULL,
    ADD CONSTRAINT welder_trainings_validity CHECK (valid_until >= completed_on);

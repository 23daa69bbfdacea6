-- 005_enterprises_notify.sql — the running servers' registry view gives each machine the
-- community of its enterprise (server/db/store_registry.c), so an enterprise moved to another
-- community, or removed, must be announced like the other registry changes (registry_notify,
-- 001_initial.sql): without it an inspector's scope and the counts followed the old community
-- until some other change reloaded the view.
CREATE TRIGGER enterprises_notify AFTER UPDATE OF community_id OR DELETE ON enterprises
    FOR EACH ROW EXECUTE FUNCTION registry_notify('id');

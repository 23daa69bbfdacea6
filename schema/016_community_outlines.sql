-- 016_community_outlines.sql — the outline of a community on the map (weldreg-web's /map, for
-- the district office): a ring of [lat, lon] points, WGS-84 as check-ins report them. Nullable:
-- without one the map draws the hull of the community's own points. And the index the map
-- reads the machines' positions by.

ALTER TABLE communities ADD COLUMN outline jsonb
    CONSTRAINT communities_outline CHECK (outline IS NULL OR (jsonb_typeof(outline) = 'array'
        AND jsonb_array_length(outline) BETWEEN 3 AND 2000));

-- The map reads each machine's last check-in with a position: without this index a machine
-- whose many check-ins carry none (heartbeats, an indoor chip) would be read whole.
CREATE INDEX checkins_machine_position ON checkins (machine_id, received_at DESC)
    WHERE lat IS NOT NULL;

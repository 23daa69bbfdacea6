-- 016_community_outlines.sql — the outline of a community on the map (weldreg-web's /map, for
-- the district office): a ring of [lat, lon] points, WGS-84 as check-ins report them. Nullable:
-- without one the map draws the hull of the community's own points.

ALTER TABLE communities ADD COLUMN outline jsonb
    CONSTRAINT communities_outline CHECK (outline IS NULL OR (jsonb_typeof(outline) = 'array'
        AND jsonb_array_length(outline) BETWEEN 3 AND 2000));

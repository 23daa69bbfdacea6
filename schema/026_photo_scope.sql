-- 026_photo_scope.sql — an inspector sees a photo only through what it is evidence of: a
-- violation's event, an on-site report or a public report in one of the inspector's
-- communities (weldreg-web GET /photos/<id>). These indexes find a photo's links from its id.
CREATE INDEX violation_event_photos_photo ON violation_event_photos (photo_id);
CREATE INDEX onsite_reports_photo ON onsite_reports (photo_id) WHERE photo_id IS NOT NULL;
CREATE INDEX public_reports_photo ON public_reports (photo_id) WHERE photo_id IS NOT NULL;

-- 021_report_photos.sql — an inspector's on-site report may carry a photo (the web's report
-- form), linked like the photos of a violation's events (violation_event_photos, 015) and of
-- public reports (017): by id, never by a path written into the note.
ALTER TABLE onsite_reports ADD COLUMN photo_id bigint REFERENCES photos;

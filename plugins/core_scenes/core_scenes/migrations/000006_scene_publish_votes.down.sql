ALTER TABLE scenes DROP COLUMN IF EXISTS published_at;
DROP TABLE IF EXISTS scene_publish_votes;

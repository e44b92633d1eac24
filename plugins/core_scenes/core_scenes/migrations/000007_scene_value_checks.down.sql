DROP INDEX IF EXISTS idx_scenes_tags;
ALTER TABLE scenes DROP CONSTRAINT IF EXISTS scenes_pose_order_check;
ALTER TABLE scenes DROP CONSTRAINT IF EXISTS scenes_visibility_check;

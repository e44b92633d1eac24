DROP TABLE IF EXISTS scene_poses;

DROP TABLE IF EXISTS scene_ops_events;
DROP TABLE IF EXISTS scene_participants;

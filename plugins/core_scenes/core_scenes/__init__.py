"""core-scenes: role-play scenes for HoloMUSH, as a binary plugin on the Python SDK.

`core_scenes.main.main` serves `core_scenes.plugin.ScenePlugin`; see the README next to
``plugin.yaml`` for the commands, the SceneService RPCs and the pose-order, publish-vote
and archive rules.
"""

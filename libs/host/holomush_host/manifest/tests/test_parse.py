"""parse_manifest: the reference manifests parse, and every rule reports its exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from holomush_host.manifest import (
    Capability,
    CapabilityScope,
    ManifestError,
    PluginType,
    StorageKind,
    parse_manifest,
)
from holomush_host.manifest.parse import MAX_MANIFEST_BYTES
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_LUA_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
)

NAME_MESSAGE = (
    "name must start with a-z, contain only a-z, 0-9, single hyphens, and not end with a hyphen"
)
COMMAND_PATTERN_MESSAGE = (
    "command name must start with a letter and contain only letters, digits, or _!?@#$%^+-"
)
POLICY_OK = 'permit(principal is plugin, action in ["emit"], resource is stream);'


def problems_of(source: str | bytes) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(source, source_name="plugins/demo/plugin.yaml")
    return caught.value


# --- the reference manifests ----------------------------------------------------------


def test_core_scenes_manifest_parses_with_every_field():
    manifest = parse_manifest(CORE_SCENES_MANIFEST)
    assert manifest.name == "core-scenes"
    assert manifest.version == "1.0.0"
    assert manifest.type is PluginType.BINARY
    assert manifest.supported
    assert manifest.resource_types == ("scene",)
    assert manifest.requires == ("holomush.world.v1.WorldService",)
    assert manifest.provides == ("holomush.scene.v1.SceneService",)
    assert manifest.emits == ("scene",)
    assert manifest.storage is StorageKind.POSTGRES
    assert manifest.binary_plugin is not None
    assert manifest.binary_plugin.executable == "core-scenes"
    scene, scenes = manifest.commands
    assert scene.name == "scene"
    assert scene.capabilities == (Capability("write", "scene", CapabilityScope.LOCAL),)
    assert scene.help == "Manage RP scenes"
    assert scene.usage == "scene <subcommand> [args]"
    assert scenes.name == "scenes"
    assert scenes.capabilities == ()
    assert scenes.usage == "scenes [--tags tag1,tag2]"
    assert len(manifest.policies) == 13
    assert manifest.policies[0].name == "execute-scene-commands"
    assert manifest.source == str(CORE_SCENES_MANIFEST)


def test_echo_bot_manifest_parses():
    manifest = parse_manifest(ECHO_BOT_MANIFEST)
    assert manifest.name == "echo-bot"
    assert manifest.type is PluginType.BINARY
    assert manifest.events == ("say",)
    assert manifest.emits == ("location",)
    assert [p.name for p in manifest.policies] == ["emit-events"]
    assert manifest.storage is StorageKind.KV
    assert manifest.priority == 100


def test_reference_lua_echo_bot_parses_but_is_unsupported():
    manifest = parse_manifest(ECHO_BOT_LUA_MANIFEST)
    assert manifest.type is PluginType.LUA
    assert manifest.lua_plugin is not None
    assert manifest.lua_plugin.entry == "main.lua"
    assert not manifest.supported
    assert manifest.unsupported_reason == (
        "lua plugins are not supported by this host; only binary plugins run"
    )


def test_setting_manifest_parses_but_is_unsupported():
    manifest = parse_manifest(
        dump(
            minimal(
                type="setting",
                binary_dash_plugin=None,
                setting={
                    "display_name": "Harbor",
                    "content_dir": "content",
                    "starting_location": "dock",
                },
            )
        )
    )
    assert manifest.setting is not None
    assert manifest.setting.display_name == "Harbor"
    assert not manifest.supported


def test_text_bytes_and_path_give_the_same_manifest(tmp_path: Path):
    text = CORE_SCENES_MANIFEST.read_text()
    copy = tmp_path / "plugin.yaml"
    copy.write_text(text)
    from_text = parse_manifest(text)
    assert parse_manifest(text.encode()) == from_text
    assert parse_manifest(copy, source_name=None).commands == from_text.commands


def test_optional_fields_and_their_defaults():
    manifest = parse_manifest(
        dump(
            minimal(
                engine=">=1.0.0, <2.0.0",
                dependencies={"core-scenes": "^1.0.0"},
                priority=-999,
                session_streams=True,
                trust={"all_principals": True},
                actions=["end", "pause"],
                verbs=[
                    {
                        "type": "shout",
                        "category": "communication",
                        "format": "speech",
                        "label": "shouts",
                    },
                    {
                        "type": "wave",
                        "category": "communication",
                        "format": "action",
                        "display_target": "BOTH",
                    },
                ],
                commands=[
                    {"name": "greet", "aliases": [" hi "], "helpText": "Say hello."},
                    {
                        "name": "wave",
                        "capabilities": [{"action": "use", "resource": "object", "scope": ""}],
                    },
                ],
            )
        )
    )
    assert manifest.engine == ">=1.0.0, <2.0.0"
    assert dict(manifest.dependencies) == {"core-scenes": "^1.0.0"}
    assert manifest.priority == -999
    assert manifest.session_streams
    assert manifest.trust.all_principals
    assert manifest.verbs[1].display_target == "both"
    assert manifest.commands[0].aliases == ("hi",)
    assert manifest.commands[0].help_text == "Say hello."
    assert manifest.commands[1].capabilities[0].scope is CapabilityScope.SELF


def test_an_impossible_date_is_a_string_not_a_crash():
    # YAML would build a date from this and fail; the manifest loader keeps it as text.
    error = problems_of(dump(minimal(version=None)) + "version: 2001-02-30\n")
    assert error.messages == ("version must be valid semver (e.g., 1.0.0)",)
    assert "'2001-02-30'" in (error.problems[0].hint or "")


# --- whole-document problems --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "hint_part"),
    [
        pytest.param(b"", "manifest data is empty", None, id="empty-bytes"),
        pytest.param("", "manifest data is empty", None, id="empty-text"),
        pytest.param("# only a comment\n", "manifest data is empty", None, id="comment-only"),
        pytest.param("name: [unclosed\n", "invalid YAML", "line", id="yaml-syntax"),
        pytest.param(
            "name: a\nname: b\n", "invalid YAML", "duplicate key 'name'", id="duplicate-key"
        ),
        pytest.param("a: 1\n---\nb: 2\n", "invalid YAML", "single document", id="two-documents"),
        pytest.param(
            "- just\n- a list\n", "manifest must be a YAML mapping, not a list", None, id="list"
        ),
        pytest.param(
            "just text\n", "manifest must be a YAML mapping, not a string", None, id="scalar"
        ),
        pytest.param(b"name: \xff\n", "manifest is not valid UTF-8 text", "byte 6", id="not-utf8"),
        pytest.param("v: !!int abc\n", "invalid YAML", "cannot be constructed", id="bad-tag"),
        pytest.param("[" * 5000, "invalid YAML", None, id="deep-nesting"),
    ],
)
def test_document_problems(source: str | bytes, message: str, hint_part: str | None):
    error = problems_of(source)
    assert error.messages == (message,)
    if hint_part is not None:
        assert hint_part in (error.problems[0].hint or "")
    assert "plugins/demo/plugin.yaml" in str(error)


def test_oversized_manifest_is_rejected():
    error = problems_of("#" * (MAX_MANIFEST_BYTES + 1))
    assert error.messages == (f"manifest exceeds the maximum size of {MAX_MANIFEST_BYTES} bytes",)


def test_unreadable_file_is_reported_with_its_path(tmp_path: Path):
    missing = tmp_path / "nope" / "plugin.yaml"
    with pytest.raises(ManifestError) as caught:
        parse_manifest(missing)
    assert caught.value.source == str(missing)
    assert caught.value.messages[0].startswith("cannot read manifest: ")


# --- one rule, one message ----------------------------------------------------------

RULES = [
    # (id, document, path, message, code)
    ("name-empty", minimal(name=""), "name", NAME_MESSAGE, None),
    ("name-missing", minimal(name=None), "name", NAME_MESSAGE, None),
    ("name-upper", minimal(name="Demo"), "name", NAME_MESSAGE, None),
    ("name-underscore", minimal(name="my_plugin"), "name", NAME_MESSAGE, None),
    ("name-trailing-hyphen", minimal(name="demo-"), "name", NAME_MESSAGE, None),
    ("name-double-hyphen", minimal(name="de--mo"), "name", NAME_MESSAGE, None),
    ("name-not-string", minimal(name=5), "name", "name must be a string, not a number", None),
    ("name-too-long", minimal(name="a" * 65), "name", "name exceeds maximum length", None),
    (
        "capabilities-removed",
        minimal(capabilities=[]),
        "capabilities",
        "'capabilities' field is no longer supported; use 'policies' with ABAC policy definitions instead",
        None,
    ),
    ("version-missing", minimal(version=None), "version", "version is required", None),
    (
        "version-v-prefix",
        minimal(version="v1.0.0"),
        "version",
        "version must be valid semver (e.g., 1.0.0)",
        None,
    ),
    (
        "version-major-only",
        minimal(version="1"),
        "version",
        "version must be valid semver (e.g., 1.0.0)",
        None,
    ),
    (
        "version-two-parts",
        minimal(version="1.0"),
        "version",
        "version must be valid semver (e.g., 1.0.0)",
        None,
    ),
    (
        "version-leading-zero",
        minimal(version="01.0.0"),
        "version",
        "version must be valid semver (e.g., 1.0.0)",
        None,
    ),
    (
        "version-number",
        minimal(version=1.0),
        "version",
        "version must be a string, not a number",
        None,
    ),
    (
        "engine-bad",
        minimal(engine=">= banana"),
        "engine",
        "engine must be a valid version constraint",
        None,
    ),
    (
        "dependency-bad-constraint",
        minimal(dependencies={"other": "1.x.3"}),
        "dependencies.other",
        "invalid dependency constraint",
        None,
    ),
    (
        "dependency-bad-name",
        minimal(dependencies={"Other": "^1.0.0"}),
        "dependencies.Other",
        "dependency name must match plugin naming pattern",
        None,
    ),
    (
        "dependency-self",
        minimal(dependencies={"demo": "*"}),
        "dependencies.demo",
        "a plugin cannot depend on itself",
        None,
    ),
    (
        "type-unknown",
        minimal(type="python"),
        "type",
        "type must be 'lua', 'binary', or 'setting'",
        None,
    ),
    (
        "type-missing",
        minimal(type=None),
        "type",
        "type must be 'lua', 'binary', or 'setting'",
        None,
    ),
    (
        "lua-without-block",
        minimal(type="lua", binary_dash_plugin=None),
        "lua-plugin",
        "lua-plugin is required when type is lua",
        None,
    ),
    (
        "lua-without-entry",
        minimal(type="lua", binary_dash_plugin=None, lua_dash_plugin={"entry": ""}),
        "lua-plugin.entry",
        "lua-plugin.entry is required",
        None,
    ),
    (
        "binary-without-block",
        minimal(binary_dash_plugin=None),
        "binary-plugin",
        "binary-plugin is required when type is binary",
        None,
    ),
    (
        "binary-without-executable",
        minimal(binary_dash_plugin={}),
        "binary-plugin.executable",
        "binary-plugin.executable is required",
        None,
    ),
    (
        "binary-executable-escapes",
        minimal(binary_dash_plugin={"executable": "../other/bin"}),
        "binary-plugin.executable",
        "binary-plugin.executable must be a relative path inside the plugin directory",
        None,
    ),
    (
        "binary-executable-absolute",
        minimal(binary_dash_plugin={"executable": "/usr/bin/env"}),
        "binary-plugin.executable",
        "binary-plugin.executable must be a relative path inside the plugin directory",
        None,
    ),
    (
        "binary-with-lua-block",
        minimal(lua_dash_plugin={"entry": "main.lua"}),
        "lua-plugin",
        "lua-plugin is only valid when type is lua",
        None,
    ),
    (
        "setting-without-stanza",
        minimal(type="setting", binary_dash_plugin=None),
        "setting",
        "setting stanza is required when type is setting",
        None,
    ),
    *[
        (
            f"setting-without-{field}",
            minimal(
                type="setting",
                binary_dash_plugin=None,
                setting={
                    k: "x"
                    for k in ("display_name", "content_dir", "starting_location")
                    if k != field
                },
            ),
            f"setting.{field}",
            f"setting.{field} is required",
            None,
        )
        for field in ("display_name", "content_dir", "starting_location")
    ],
    *[
        (
            f"setting-with-{key}",
            {
                **minimal(
                    type="setting",
                    binary_dash_plugin=None,
                    setting={"display_name": "x", "content_dir": "x", "starting_location": "x"},
                ),
                key: value,
            },
            key,
            message,
            None,
        )
        for key, value, message in (
            ("commands", [{"name": "look"}], "setting plugins must not declare commands"),
            (
                "verbs",
                [{"type": "x", "category": "state", "format": "delta"}],
                "setting plugins must not declare verbs",
            ),
            ("lua-plugin", {"entry": "main.lua"}, "setting plugins must not specify lua-plugin"),
            (
                "binary-plugin",
                {"executable": "x"},
                "setting plugins must not specify binary-plugin",
            ),
        )
    ],
    (
        "session-streams-on-setting",
        minimal(
            type="setting",
            binary_dash_plugin=None,
            setting={"display_name": "x", "content_dir": "x", "starting_location": "x"},
            session_streams=True,
        ),
        "session_streams",
        "session_streams is only valid for lua and binary plugin types",
        None,
    ),
    (
        "emits-on-setting",
        minimal(
            type="setting",
            binary_dash_plugin=None,
            setting={"display_name": "x", "content_dir": "x", "starting_location": "x"},
            emits=["demo"],
        ),
        "emits",
        "emits is only valid for lua and binary plugin types",
        None,
    ),
    (
        "events-on-setting",
        minimal(
            type="setting",
            binary_dash_plugin=None,
            setting={"display_name": "x", "content_dir": "x", "starting_location": "x"},
            events=["say"],
        ),
        "events",
        "events is only valid for lua and binary plugin types",
        None,
    ),
    (
        "lua-with-binary-block",
        minimal(type="lua", lua_dash_plugin={"entry": "main.lua"}),
        "binary-plugin",
        "binary-plugin is only valid when type is binary",
        None,
    ),
    (
        "binary-with-setting-stanza",
        minimal(setting={"display_name": "x", "content_dir": "x", "starting_location": "x"}),
        "setting",
        "setting stanza is only valid when type is setting",
        None,
    ),
    (
        "dependencies-not-mapping",
        minimal(dependencies=["other"]),
        "dependencies",
        "dependencies must be a mapping, not a list",
        None,
    ),
    ("non-string-key", {**minimal(), 7: "x"}, "", "keys must be strings, not a number 7", None),
    (
        "emits-not-sequence",
        minimal(emits="scene"),
        "emits",
        "emits must be declared as a YAML sequence",
        None,
    ),
    (
        "emits-mapping",
        minimal(emits={"scene": 1}),
        "emits",
        "emits must be declared as a YAML sequence",
        None,
    ),
    ("emits-empty-entry", minimal(emits=[""]), "emits[0]", "emits entries must not be empty", None),
    (
        "emits-colon",
        minimal(emits=["location:x"]),
        "emits[0]",
        "emits entries must be bare namespaces without ':'",
        None,
    ),
    (
        "emits-pattern",
        minimal(emits=["Location"]),
        "emits[0]",
        "emits entries must match plugin naming pattern",
        None,
    ),
    (
        "emits-duplicate",
        minimal(emits=["scene", "scene"]),
        "emits[1]",
        "duplicate emits namespace",
        None,
    ),
    (
        "events-empty-entry",
        minimal(events=[""]),
        "events[0]",
        "events entries must not be empty",
        None,
    ),
    ("events-duplicate", minimal(events=["say", "say"]), "events[1]", "duplicate event type", None),
    (
        "events-whitespace",
        minimal(events=["say loud"]),
        "events[0]",
        "events entries must not contain whitespace",
        None,
    ),
    (
        "priority-reserved",
        minimal(priority=-1000),
        "priority",
        "load_priority < -999 is reserved for core plugins",
        None,
    ),
    (
        "priority-not-int",
        minimal(priority="high"),
        "priority",
        "priority must be an integer, not a string",
        None,
    ),
    (
        "policy-no-name",
        minimal(policies=[{"dsl": POLICY_OK}]),
        "policies[0].name",
        "policy[0]: name cannot be empty",
        None,
    ),
    (
        "policy-bad-name",
        minimal(policies=[{"name": "Emit Events", "dsl": POLICY_OK}]),
        "policies[0].name",
        'policy[0] "Emit Events": name must match plugin naming pattern (lowercase, hyphens, no special chars)',
        None,
    ),
    (
        "policy-empty-dsl",
        minimal(policies=[{"name": "emit", "dsl": "  "}]),
        "policies[0].dsl",
        'policy[0] "emit": dsl cannot be empty',
        None,
    ),
    (
        "policy-bad-dsl",
        minimal(policies=[{"name": "emit", "dsl": "allow(principal, action, resource);"}]),
        "policies[0].dsl",
        'policy[0] "emit": invalid dsl',
        None,
    ),
    (
        "policy-duplicate-name",
        minimal(policies=[{"name": "emit", "dsl": POLICY_OK}, {"name": "emit", "dsl": POLICY_OK}]),
        "policies[1].name",
        'policy[1] "emit": duplicate policy name',
        None,
    ),
    (
        "command-empty-name",
        minimal(commands=[{"name": " "}]),
        "commands[0].name",
        "command name cannot be empty",
        "INVALID_NAME",
    ),
    (
        "command-name-too-long",
        minimal(commands=[{"name": "a" * 21}]),
        "commands[0].name",
        "command name exceeds maximum length of 20",
        "INVALID_NAME",
    ),
    (
        "command-name-digit-first",
        minimal(commands=[{"name": "1up"}]),
        "commands[0].name",
        COMMAND_PATTERN_MESSAGE,
        "INVALID_NAME",
    ),
    (
        "command-name-space",
        minimal(commands=[{"name": "two words"}]),
        "commands[0].name",
        COMMAND_PATTERN_MESSAGE,
        "INVALID_NAME",
    ),
    (
        "command-duplicate",
        minimal(commands=[{"name": "greet"}, {"name": "greet"}]),
        "commands[1].name",
        "duplicate command name",
        None,
    ),
    (
        "alias-empty",
        minimal(commands=[{"name": "greet", "aliases": [""]}]),
        "commands[0].aliases[0]",
        "alias must not be empty",
        "INVALID_NAME",
    ),
    (
        "alias-bad",
        minimal(commands=[{"name": "greet", "aliases": ["+hi there"]}]),
        "commands[0].aliases[0]",
        COMMAND_PATTERN_MESSAGE,
        "INVALID_NAME",
    ),
    (
        "alias-duplicate",
        minimal(
            commands=[{"name": "greet", "aliases": ["hi"]}, {"name": "wave", "aliases": ["hi"]}]
        ),
        "commands[1].aliases[0]",
        "duplicate alias",
        None,
    ),
    (
        "alias-is-a-command",
        minimal(commands=[{"name": "greet", "aliases": ["wave"]}, {"name": "wave"}]),
        "commands[0].aliases[0]",
        "alias duplicates a command name",
        None,
    ),
    (
        "capability-no-action",
        minimal(commands=[{"name": "greet", "capabilities": [{"resource": "scene"}]}]),
        "commands[0].capabilities[0].action",
        "action is required",
        "INVALID_CAPABILITY",
    ),
    (
        "capability-no-resource",
        minimal(commands=[{"name": "greet", "capabilities": [{"action": "write"}]}]),
        "commands[0].capabilities[0].resource",
        "resource is required",
        "INVALID_CAPABILITY",
    ),
    (
        "capability-bad-scope",
        minimal(
            commands=[
                {
                    "name": "greet",
                    "capabilities": [{"action": "write", "resource": "scene", "scope": "planet"}],
                }
            ]
        ),
        "commands[0].capabilities[0].scope",
        'unknown scope "planet"',
        "INVALID_CAPABILITY",
    ),
    (
        "help-text-and-file",
        minimal(commands=[{"name": "greet", "helpText": "x", "helpFile": "help/greet.txt"}]),
        "commands[0]",
        "helpText and helpFile are mutually exclusive",
        None,
    ),
    (
        "help-file-escapes",
        minimal(commands=[{"name": "greet", "helpFile": "../secret"}]),
        "commands[0].helpFile",
        "helpFile must be a relative path inside the plugin directory",
        None,
    ),
    (
        "command-unknown-key",
        minimal(commands=[{"name": "greet", "help_text": "x"}]),
        "commands[0].help_text",
        'unknown field "help_text"',
        None,
    ),
    (
        "verb-empty-type",
        minimal(verbs=[{"type": "", "category": "state", "format": "delta"}]),
        "verbs[0].type",
        "verb type must not be empty",
        None,
    ),
    (
        "verb-category",
        minimal(verbs=[{"type": "x", "category": "chat", "format": "delta"}]),
        "verbs[0].category",
        "unknown verb category",
        None,
    ),
    (
        "verb-format",
        minimal(verbs=[{"type": "x", "category": "state", "format": "gif"}]),
        "verbs[0].format",
        "unknown verb format",
        None,
    ),
    (
        "verb-display-target",
        minimal(
            verbs=[
                {"type": "x", "category": "state", "format": "delta", "display_target": "screen"}
            ]
        ),
        "verbs[0].display_target",
        "unknown verb display_target",
        None,
    ),
    (
        "verb-speech-label",
        minimal(verbs=[{"type": "x", "category": "communication", "format": "speech"}]),
        "verbs[0].label",
        "label is required when verb format is speech",
        None,
    ),
    (
        "verb-duplicate",
        minimal(verbs=[{"type": "x", "category": "state", "format": "delta"}] * 2),
        "verbs[1].type",
        "duplicate verb type",
        None,
    ),
    (
        "provides-on-lua",
        minimal(
            type="lua",
            binary_dash_plugin=None,
            lua_dash_plugin={"entry": "m.lua"},
            provides=["a.v1.S"],
        ),
        "provides",
        "only binary plugins can provide services",
        "INVALID_PROVIDES",
    ),
    (
        "postgres-on-lua",
        minimal(
            type="lua",
            binary_dash_plugin=None,
            lua_dash_plugin={"entry": "m.lua"},
            storage="postgres",
        ),
        "storage",
        "postgres storage is only available for binary plugins",
        "INVALID_STORAGE",
    ),
    (
        "storage-unknown",
        minimal(storage="mysql"),
        "storage",
        "storage must be 'kv' or 'postgres'",
        None,
    ),
    (
        "resource-types-on-lua",
        minimal(
            type="lua",
            binary_dash_plugin=None,
            lua_dash_plugin={"entry": "m.lua"},
            resource_types=["widget"],
        ),
        "resource_types",
        "resource_types can only be declared by binary plugins",
        None,
    ),
    (
        "resource-type-pattern",
        minimal(resource_types=["Widget"]),
        "resource_types[0]",
        "resource type name must match plugin naming pattern",
        None,
    ),
    *[
        (
            f"resource-type-protected-{name}",
            minimal(resource_types=[name]),
            "resource_types[0]",
            "resource type is protected and cannot be declared by plugins",
            None,
        )
        for name in (
            "character",
            "location",
            "exit",
            "object",
            "stream",
            "property",
            "command",
            "system",
            "server",
            "player",
        )
    ],
    (
        "resource-type-duplicate",
        minimal(resource_types=["widget", "widget"]),
        "resource_types[1]",
        "duplicate resource type",
        None,
    ),
    ("action-empty", minimal(actions=[""]), "actions[0]", "action entry must not be empty", None),
    ("action-duplicate", minimal(actions=["end", "end"]), "actions[1]", "duplicate action", None),
    (
        "requires-bad-name",
        minimal(requires=["world service"]),
        "requires[0]",
        "service name must be a protobuf service name such as holomush.world.v1.WorldService",
        None,
    ),
    (
        "provides-duplicate",
        minimal(provides=["a.v1.S", "a.v1.S"]),
        "provides[1]",
        "duplicate service",
        None,
    ),
    (
        "unknown-top-level-key",
        minimal(provide=["a.v1.S"]),
        "provide",
        'unknown field "provide"',
        None,
    ),
    (
        "unknown-nested-key",
        minimal(binary_dash_plugin={"executable": "x", "args": []}),
        "binary-plugin.args",
        'unknown field "args"',
        None,
    ),
    (
        "trust-not-bool",
        minimal(trust={"all_principals": "yes please"}),
        "trust.all_principals",
        "trust.all_principals must be true or false, not a string",
        None,
    ),
    (
        "requires-not-list",
        minimal(requires="a.v1.S"),
        "requires",
        "requires must be a list, not a string",
        None,
    ),
    (
        "commands-entry-not-mapping",
        minimal(commands=["greet"]),
        "commands[0]",
        "commands[0] must be a mapping, not a string",
        None,
    ),
]


@pytest.mark.parametrize(
    ("document", "path", "message", "code"),
    [pytest.param(doc, path, msg, code, id=case_id) for case_id, doc, path, msg, code in RULES],
)
def test_each_rule_reports_its_message(
    document: dict[str, object], path: str, message: str, code: str | None
):
    error = problems_of(dump(document))
    matching = [p for p in error.problems if p.message == message]
    assert matching, f"expected {message!r}, got {error.messages}"
    assert matching[0].path == path
    assert matching[0].code == code


def test_unknown_key_suggests_the_intended_one():
    error = problems_of(dump(minimal(provide=["a.v1.S"])))
    assert error.problems[0].hint == 'did you mean "provides"?'


def test_every_problem_is_reported_at_once_with_the_file_name():
    document = minimal(name="Bad", version="1.0", emits=["a:b"], storage="mysql")
    error = problems_of(dump(document))
    assert {p.path for p in error.problems} == {"name", "version", "emits[0]", "storage"}
    text = str(error)
    assert text.startswith("invalid plugin manifest plugins/demo/plugin.yaml: 4 problems:")
    assert "  - version: version must be valid semver (e.g., 1.0.0)" in text


def test_valid_edge_values_are_accepted():
    manifest = parse_manifest(
        dump(
            minimal(
                name="a" * 64,
                version="1.0.0-alpha.1+build.5",
                commands=[{"name": "a" + "b" * 19, "aliases": ["w+", "x_!?@#$%^+-"]}],
                resource_types=["widget"],
                emits=["widget", "location"],
            )
        )
    )
    assert len(manifest.name) == 64
    assert manifest.commands[0].aliases == ("w+", "x_!?@#$%^+-")


def test_self_scope_is_accepted_as_the_author_guide_documents():
    manifest = parse_manifest(
        dump(
            minimal(
                commands=[
                    {
                        "name": "me",
                        "capabilities": [
                            {"action": "read", "resource": "character", "scope": "self"}
                        ],
                    }
                ]
            )
        )
    )
    assert manifest.commands[0].capabilities[0].scope is CapabilityScope.SELF

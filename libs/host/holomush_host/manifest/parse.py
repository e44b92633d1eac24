"""``parse_manifest``: YAML text or a file in, a validated :class:`Manifest` out.

Unknown keys are errors at every level (with a "did you mean" hint): the reference
ignores them, which lets a typo such as ``provide:`` silently do nothing.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeVar

from holomush_host.manifest.decode import FieldReader, describe, join_path
from holomush_host.manifest.errors import ManifestError, ManifestProblem, go_quote
from holomush_host.manifest.model import (
    BinaryPluginBlock,
    Capability,
    CapabilityScope,
    CommandSpec,
    LuaPluginBlock,
    Manifest,
    PluginType,
    PolicySpec,
    SettingBlock,
    StorageKind,
    TrustSpec,
    VerbSpec,
)
from holomush_host.manifest.validate import validate_manifest
from holomush_host.manifest.vocabulary import DEFAULT_PRIORITY
from holomush_host.manifest.yaml_loader import YamlLoadError, load_yaml_document

_T = TypeVar("_T")

#: Manifests are small; a bigger file is a mistake, not a plugin.
MAX_MANIFEST_BYTES: Final = 1024 * 1024

TOP_LEVEL_KEYS: Final = frozenset(
    {
        "name",
        "version",
        "type",
        "engine",
        "dependencies",
        "events",
        "emits",
        "policies",
        "commands",
        "verbs",
        "priority",
        "session_streams",
        "lua-plugin",
        "binary-plugin",
        "setting",
        "capabilities",
        "requires",
        "provides",
        "storage",
        "resource_types",
        "actions",
        "trust",
    }
)
COMMAND_KEYS: Final = frozenset(
    {"name", "aliases", "capabilities", "help", "usage", "helpText", "helpFile"}
)
CAPABILITY_KEYS: Final = frozenset({"action", "resource", "scope"})
POLICY_KEYS: Final = frozenset({"name", "dsl"})
VERB_KEYS: Final = frozenset({"type", "category", "format", "label", "display_target"})
SETTING_KEYS: Final = frozenset(
    {"display_name", "description", "content_dir", "world_dir", "theme", "starting_location"}
)

_SCOPES: Final = {
    "": CapabilityScope.SELF,
    "self": CapabilityScope.SELF,
    "local": CapabilityScope.LOCAL,
    "global": CapabilityScope.GLOBAL,
}
_CAPABILITIES_REMOVED: Final = (
    "'capabilities' field is no longer supported; use 'policies' with ABAC policy "
    "definitions instead"
)


def parse_manifest(source: str | bytes | Path, *, source_name: str | None = None) -> Manifest:
    """Parse and validate a manifest.

    ``source`` is the YAML text (``str`` or ``bytes``) or a :class:`~pathlib.Path` to read.
    ``source_name`` names it in messages (defaults to the path). Raises
    :class:`ManifestError` carrying every problem found.
    """
    name: str | None
    data: str | bytes
    if isinstance(source, Path):
        name = source_name or str(source)
        data = _read_file(source, name)
    else:
        name = source_name
        data = source
    text = _decode_text(data, name)
    try:
        document = load_yaml_document(text)
    except YamlLoadError as exc:
        raise ManifestError(name, [ManifestProblem("", "invalid YAML", hint=str(exc))]) from None
    if document is None:
        raise ManifestError(name, [ManifestProblem("", "manifest data is empty")])
    builder = _ManifestBuilder(name)
    manifest = builder.build(document)
    problems = builder.reader.problems
    if manifest is not None:
        problems = [*problems, *validate_manifest(manifest, skip=builder.broken)]
    if problems:
        raise ManifestError(name, problems)
    assert manifest is not None
    return manifest


def _read_file(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ManifestError(
            name, [ManifestProblem("", f"cannot read manifest: {reason}")]
        ) from None
    return data


def _decode_text(data: str | bytes, name: str | None) -> str:
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size == 0:
        raise ManifestError(name, [ManifestProblem("", "manifest data is empty")])
    if size > MAX_MANIFEST_BYTES:
        raise ManifestError(
            name,
            [
                ManifestProblem(
                    "", f"manifest exceeds the maximum size of {MAX_MANIFEST_BYTES} bytes"
                )
            ],
        )
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            name,
            [ManifestProblem("", "manifest is not valid UTF-8 text", hint=f"byte {exc.start}")],
        ) from None


class _ManifestBuilder:
    """Reads each section with shape checks; records top-level fields that were unusable."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.reader = FieldReader()
        #: Top-level keys whose value had the wrong shape; validation skips them.
        self.broken: set[str] = set()

    def _tracked(self, key: str, value: _T | None) -> _T | None:
        if value is None:
            self.broken.add(key)
        return value

    def build(self, document: object) -> Manifest | None:
        reader = self.reader
        if not isinstance(document, dict):
            reader.problem("", f"manifest must be a YAML mapping, not {describe(document)}")
            return None
        top = reader.mapping("", document, TOP_LEVEL_KEYS)
        if top is None:
            return None
        if "capabilities" in top:
            reader.problem("capabilities", _CAPABILITIES_REMOVED)
        if "emits" in top and not isinstance(top["emits"], list):
            reader.problem("emits", "emits must be declared as a YAML sequence")
            top["emits"] = None

        name = self._tracked("name", self._optional_text(top, "name"))
        version = self._tracked("version", self._optional_text(top, "version"))
        plugin_type = self._tracked("type", self._plugin_type(top))
        engine = reader.text("engine", top["engine"]) if top.get("engine") is not None else None
        return Manifest(
            name=name or "",
            version=version or "",
            type=plugin_type or PluginType.BINARY,
            engine=engine,
            dependencies=MappingProxyType(
                reader.string_mapping("dependencies", top.get("dependencies"))
            ),
            events=reader.text_list("events", top.get("events")),
            emits=reader.text_list("emits", top.get("emits")),
            policies=self._policies(top.get("policies")),
            commands=self._commands(top.get("commands")),
            verbs=self._verbs(top.get("verbs")),
            priority=self._priority(top),
            session_streams=self._flag(top, "session_streams"),
            lua_plugin=self._lua_block(top),
            binary_plugin=self._binary_block(top),
            setting=self._setting_block(top),
            requires=reader.text_list("requires", top.get("requires")),
            provides=reader.text_list("provides", top.get("provides")),
            storage=self._storage(top),
            resource_types=reader.text_list("resource_types", top.get("resource_types")),
            actions=reader.text_list("actions", top.get("actions")),
            trust=self._trust(top),
            source=self.source,
        )

    def _optional_text(self, top: dict[str, object], key: str) -> str | None:
        if top.get(key) is None:
            return ""
        return self.reader.text(key, top[key])

    def _plugin_type(self, top: dict[str, object]) -> PluginType | None:
        value = top.get("type")
        text = value if isinstance(value, str) else None
        try:
            return PluginType(text)
        except ValueError:
            got = "nothing" if value is None else _show(value)
            self.reader.problem(
                "type", "type must be 'lua', 'binary', or 'setting'", hint=f"got {got}"
            )
            return None

    def _storage(self, top: dict[str, object]) -> StorageKind:
        value = top.get("storage")
        if value is None or value == "":
            return StorageKind.KV
        if isinstance(value, str):
            try:
                return StorageKind(value)
            except ValueError:
                pass
        self.reader.problem(
            "storage", "storage must be 'kv' or 'postgres'", hint=f"got {_show(value)}"
        )
        return StorageKind.KV

    def _priority(self, top: dict[str, object]) -> int:
        if top.get("priority") is None:
            return DEFAULT_PRIORITY
        value = self.reader.integer("priority", top["priority"])
        return DEFAULT_PRIORITY if value is None else value

    def _flag(self, top: dict[str, object], key: str) -> bool:
        if top.get(key) is None:
            return False
        return bool(self.reader.boolean(key, top[key]))

    def _trust(self, top: dict[str, object]) -> TrustSpec:
        if top.get("trust") is None:
            return TrustSpec()
        block = self.reader.mapping("trust", top["trust"], {"all_principals"})
        if block is None or block.get("all_principals") is None:
            return TrustSpec()
        return TrustSpec(bool(self.reader.boolean("trust.all_principals", block["all_principals"])))

    def _lua_block(self, top: dict[str, object]) -> LuaPluginBlock | None:
        if top.get("lua-plugin") is None:
            return None
        block = self.reader.mapping("lua-plugin", top["lua-plugin"], {"entry"})
        if block is None:
            return None
        return LuaPluginBlock(self.reader.optional_text("lua-plugin.entry", block.get("entry")))

    def _binary_block(self, top: dict[str, object]) -> BinaryPluginBlock | None:
        if top.get("binary-plugin") is None:
            return None
        block = self.reader.mapping("binary-plugin", top["binary-plugin"], {"executable"})
        if block is None:
            return None
        path = "binary-plugin.executable"
        return BinaryPluginBlock(self.reader.optional_text(path, block.get("executable")))

    def _setting_block(self, top: dict[str, object]) -> SettingBlock | None:
        if top.get("setting") is None:
            return None
        block = self.reader.mapping("setting", top["setting"], SETTING_KEYS)
        if block is None:
            return None
        fields = {
            key: self.reader.optional_text(f"setting.{key}", block.get(key)) for key in SETTING_KEYS
        }
        return SettingBlock(**fields)

    def _entries(
        self, path: str, value: object, keys: frozenset[str]
    ) -> list[tuple[str, dict[str, object]]]:
        entries = []
        for index, item in enumerate(self.reader.sequence(path, value)):
            item_path = join_path(path, index)
            mapping = self.reader.mapping(item_path, item, keys)
            if mapping is not None:
                entries.append((item_path, mapping))
        return entries

    def _policies(self, value: object) -> tuple[PolicySpec, ...]:
        reader = self.reader
        return tuple(
            PolicySpec(
                name=reader.optional_text(f"{path}.name", entry.get("name")),
                dsl=reader.optional_text(f"{path}.dsl", entry.get("dsl")),
            )
            for path, entry in self._entries("policies", value, POLICY_KEYS)
        )

    def _verbs(self, value: object) -> tuple[VerbSpec, ...]:
        reader = self.reader
        verbs = []
        for path, entry in self._entries("verbs", value, VERB_KEYS):
            target = entry.get("display_target")
            verbs.append(
                VerbSpec(
                    type=reader.optional_text(f"{path}.type", entry.get("type")),
                    category=reader.optional_text(f"{path}.category", entry.get("category")),
                    format=reader.optional_text(f"{path}.format", entry.get("format")),
                    label=reader.optional_text(f"{path}.label", entry.get("label")),
                    display_target=(
                        None
                        if target is None
                        else reader.optional_text(f"{path}.display_target", target).lower()
                    ),
                )
            )
        return tuple(verbs)

    def _commands(self, value: object) -> tuple[CommandSpec, ...]:
        reader = self.reader
        commands = []
        for path, entry in self._entries("commands", value, COMMAND_KEYS):
            commands.append(
                CommandSpec(
                    name=reader.optional_text(f"{path}.name", entry.get("name")).strip(),
                    aliases=tuple(
                        alias.strip()
                        for alias in reader.text_list(f"{path}.aliases", entry.get("aliases"))
                    ),
                    capabilities=self._capabilities(
                        f"{path}.capabilities", entry.get("capabilities")
                    ),
                    help=reader.optional_text(f"{path}.help", entry.get("help")),
                    usage=reader.optional_text(f"{path}.usage", entry.get("usage")),
                    help_text=reader.optional_text(f"{path}.helpText", entry.get("helpText")),
                    help_file=reader.optional_text(f"{path}.helpFile", entry.get("helpFile")),
                )
            )
        return tuple(commands)

    def _capabilities(self, path: str, value: object) -> tuple[Capability, ...]:
        reader = self.reader
        capabilities = []
        for item_path, entry in self._entries(path, value, CAPABILITY_KEYS):
            action = reader.optional_text(f"{item_path}.action", entry.get("action")).strip()
            resource = reader.optional_text(f"{item_path}.resource", entry.get("resource")).strip()
            if not action:
                reader.problem(
                    f"{item_path}.action", "action is required", code="INVALID_CAPABILITY"
                )
            if not resource:
                reader.problem(
                    f"{item_path}.resource", "resource is required", code="INVALID_CAPABILITY"
                )
            scope_text = reader.optional_text(f"{item_path}.scope", entry.get("scope"))
            scope = _SCOPES.get(scope_text)
            if scope is None:
                reader.problem(
                    f"{item_path}.scope",
                    f"unknown scope {go_quote(scope_text)}",
                    code="INVALID_CAPABILITY",
                    hint="use local, self or global",
                )
                scope = CapabilityScope.SELF
            capabilities.append(Capability(action, resource, scope))
        return tuple(capabilities)


def _show(value: object) -> str:
    return go_quote(value) if isinstance(value, str) else describe(value)

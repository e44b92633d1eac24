"""The host's policy decision point, wired: policies, engine and attribute providers.

* Host policies (source ``host``) let every character execute the built-in commands.
* Each plugin's manifest policies are checked (reference §4.11 installation rules, plus
  every attribute they read must be in the owning schema) and installed as a unit.
* Attribute providers: ``character`` (from the world), ``command`` (its name), ``plugin``
  (loaded plugins only) and one per plugin ``resource_types`` entry, answered by the
  owning plugin's AttributeResolverService through the plugin manager.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Final

from holomush_host.data.errors import NotFoundError
from holomush_host.data.ids import is_ulid
from holomush_host.data.sessions import SessionStatus, SessionStore
from holomush_host.data.world import WorldStore
from holomush_host.dispatch.builtins import BUILTIN_NAMES
from holomush_host.dispatch.ports import PluginAttributes
from holomush_host.manifest.errors import go_quote
from holomush_host.manifest.model import Manifest
from holomush_host.policy.ast import Root, iter_references
from holomush_host.policy.attributes import (
    AttributeSource,
    CommandAttributeProvider,
    PluginSubjectAttributeProvider,
)
from holomush_host.policy.engine import PolicyEngine
from holomush_host.policy.errors import InstallProblem, PolicyInstallError
from holomush_host.policy.installation import (
    PolicyInstallPlan,
    install_plugin_policies,
    plugin_policy_source,
    prepare_plugin_policies,
    validate_policy_attributes,
)
from holomush_host.policy.policy_set import Policy, PolicySet, compile_policy

HOST_POLICY_SOURCE: Final = "host"
CHARACTER_ATTRIBUTES: Final = frozenset(
    {"id", "player_id", "name", "description", "roles", "location_id", "location"}
)
GUEST_ROLE: Final = "guest"
PLAYER_ROLE: Final = "player"

AttributeSchemas = Mapping[str, Collection[str]]
"""Resource type → its attribute names (a plugin's GetSchema answer)."""


def host_policies(builtins: Collection[str] = BUILTIN_NAMES) -> list[Policy]:
    names = ", ".join(f'"{name}"' for name in sorted(builtins))
    return [
        compile_policy(
            "host:execute-builtin-commands",
            'permit(principal is character, action in ["execute"], resource is command)'
            f" when {{ resource.command.name in [{names}] }};",
            HOST_POLICY_SOURCE,
        )
    ]


class CharacterAttributeProvider:
    """``character.*`` from the world store; an unknown id has no attributes."""

    entity_type = "character"
    attribute_names = CHARACTER_ATTRIBUTES

    def __init__(self, world: WorldStore) -> None:
        self._world = world

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        if not is_ulid(entity_id):
            return None
        try:
            character = await self._world.get_character(entity_id)
        except NotFoundError:
            return None
        return {
            "id": character.id,
            "player_id": character.player_id,
            "name": character.name,
            "description": character.description,
            "roles": [GUEST_ROLE if character.is_guest else PLAYER_ROLE],
            "location_id": character.location_id,
            "location": character.location_id,
        }


class PluginResourceAttributeProvider:
    """One plugin resource type, resolved by the plugin that declares it."""

    def __init__(
        self, entity_type: str, attribute_names: Collection[str], plugins: PluginAttributes
    ) -> None:
        self._entity_type = entity_type
        self._names = frozenset(attribute_names)
        self._plugins = plugins

    @property
    def entity_type(self) -> str:
        return self._entity_type

    @property
    def attribute_names(self) -> frozenset[str]:
        return self._names

    async def resolve(self, entity_id: str) -> Mapping[str, object] | None:
        return await self._plugins.resolve_attributes(self._entity_type, entity_id)


class HostAuthorization:
    def __init__(
        self,
        world: WorldStore,
        sessions: SessionStore,
        plugins: PluginAttributes,
        loaded_plugins: Callable[[], Collection[str]],
        *,
        trusted_plugins: Collection[str] = (),
    ) -> None:
        self._plugins = plugins
        self._trusted = frozenset(trusted_plugins)
        self._sessions = sessions
        self.policies = PolicySet(host_policies())
        self.engine = PolicyEngine(self.policies, session_resolver=self._session_character)
        self.attributes = AttributeSource(
            [
                CharacterAttributeProvider(world),
                CommandAttributeProvider(),
                PluginSubjectAttributeProvider(loaded_plugins),
            ]
        )
        self._resource_owner: dict[str, str] = {}

    def install_plugin(
        self, manifest: Manifest, schemas: AttributeSchemas | None = None
    ) -> PolicyInstallPlan:
        """Check and install the plugin's policies and register its resource types.

        ``schemas`` is the plugin's attribute schema; without it, a resource type's
        attributes are those its policies read. Raises PolicyInstallError (nothing
        installed, nothing registered) when any rule is broken.
        """
        plan = prepare_plugin_policies(manifest, trusted_plugins=self._trusted)
        resource_schemas = _resource_schemas(manifest, plan, schemas or {})
        problems = [
            InstallProblem(
                "",
                f"resource type {go_quote(rt)} is already provided by plugin "
                f"{go_quote(self._resource_owner[rt])}",
            )
            for rt in manifest.resource_types
            if self._resource_owner.get(rt, manifest.name) != manifest.name
        ]
        known: dict[str, Collection[str]] = {
            "character": CHARACTER_ATTRIBUTES,
            "command": CommandAttributeProvider.attribute_names,
            **resource_schemas,
        }
        problems.extend(validate_policy_attributes(plan.policies, known))
        if problems:
            raise PolicyInstallError(manifest.name, problems)
        self.remove_plugin(manifest.name)
        install_plugin_policies(self.policies, plan)
        for resource_type, names in resource_schemas.items():
            self.attributes.register(
                PluginResourceAttributeProvider(resource_type, names, self._plugins)
            )
            self._resource_owner[resource_type] = manifest.name
        return plan

    def remove_plugin(self, plugin: str) -> None:
        """Drop the plugin's policies and resource providers (its resources then match no
        permit, so every check on them denies)."""
        self.policies.remove_source(plugin_policy_source(plugin))
        for resource_type in [rt for rt, owner in self._resource_owner.items() if owner == plugin]:
            self.attributes.unregister(resource_type)
            del self._resource_owner[resource_type]

    async def _session_character(self, session_id: str) -> str | None:
        try:
            session = await self._sessions.get_session(session_id)
        except NotFoundError:
            return None
        return session.character_id if session.status is SessionStatus.ACTIVE else None


def _resource_schemas(
    manifest: Manifest, plan: PolicyInstallPlan, schemas: AttributeSchemas
) -> dict[str, frozenset[str]]:
    result: dict[str, frozenset[str]] = {}
    for resource_type in manifest.resource_types:
        declared = schemas.get(resource_type)
        result[resource_type] = (
            frozenset(declared)
            if declared is not None
            else _attributes_read(plan.policies, resource_type)
        )
    return result


def _attributes_read(policies: Collection[Policy], resource_type: str) -> frozenset[str]:
    names = set()
    for policy in policies:
        for root, path in iter_references(policy.ast.condition):
            if (
                root in (Root.PRINCIPAL, Root.RESOURCE)
                and path[0] == resource_type
                and len(path) > 1
            ):
                names.add(".".join(path[1:]))
    return frozenset(names)

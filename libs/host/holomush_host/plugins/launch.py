"""How a plugin process is started: its executable and a deliberately small environment.

As in the reference (§2.4), the child does not inherit the host's environment: the host's
secrets (database URL, tokens) stay with the host. It gets ``PATH`` and the few variables
programs need to behave (home, locale, temp dir, time zone), the operator's
``plugin_env``, and then the transport's own variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from holomush_host.manifest.discovery import DiscoveredPlugin
from holomush_host.plugins.errors import PluginLoadError
from holomush_sdk.goplugin.client import PluginCommand

__all__ = ["INHERITED_VARIABLES", "plugin_command"]

INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


def plugin_command(plugin: DiscoveredPlugin, extra_env: Mapping[str, str]) -> PluginCommand:
    """The command that runs ``plugin``'s checked executable in its own directory."""
    if plugin.executable is None:
        raise PluginLoadError(
            "PLUGIN_EXECUTABLE_MISSING", f"plugin {plugin.name!r} has no executable to run"
        )
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    env.update(extra_env)
    return PluginCommand(
        argv=[str(plugin.executable)], env=env, cwd=str(plugin.directory), inherit_env=False
    )

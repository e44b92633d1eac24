"""Generate a new binary plugin: ``holomush plugin new NAME``.

`new_plugin` writes a plugin directory that works as generated: a manifest this host
accepts, a Pants BUILD producing the PEX and the deployable bundle, a package whose
plugin object answers one example command, its unit tests and, with
``storage="postgres"``, a store with its first migration. `run_plugin_new` is the CLI
subcommand around it (see `holomush_host.scaffold.cli`).
"""

from holomush_host.scaffold.cli import (
    PLUGIN_NEW_HELP,
    add_plugin_new_arguments,
    main,
    run_plugin_new,
)
from holomush_host.scaffold.generate import new_plugin
from holomush_host.scaffold.naming import PluginNames, ScaffoldError, plugin_names

__all__ = [
    "PLUGIN_NEW_HELP",
    "PluginNames",
    "ScaffoldError",
    "add_plugin_new_arguments",
    "main",
    "new_plugin",
    "plugin_names",
    "run_plugin_new",
]

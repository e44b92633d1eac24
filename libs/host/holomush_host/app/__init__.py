"""The host application: everything wired together, and ``holomush serve``."""

from holomush_host.app.config import HostConfig, default_data_dir
from holomush_host.app.host import HostApp, HostStartError, HostStatus, running_host
from holomush_host.app.plugin_lint import LintOutcome, PluginLint, lint_plugins
from holomush_host.app.serve import serve
from holomush_host.app.summary import startup_summary

__all__ = [
    "HostApp",
    "HostConfig",
    "HostStartError",
    "HostStatus",
    "LintOutcome",
    "PluginLint",
    "default_data_dir",
    "lint_plugins",
    "running_host",
    "serve",
    "startup_summary",
]

"""The SDK wheel (`./pants package //:sdk-wheel`) works on its own, outside this repository.

It is pip-installed into a fresh virtual environment (its dependencies come from the
package index), its public API imports there, and a plugin written against it, a single
file in a temporary directory, runs on that environment's Python as a real plugin: this
test starts it the way a host does and calls it over gRPC with mTLS.
"""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import pytest

from holomush.plugin.v1 import plugin_pb2, plugin_pb2_grpc
from holomush_sdk.goplugin.client import PluginCommand, start_plugin
from holomush_sdk.goplugin.tls import TransportSecurity

WHEEL_GLOB = "holomush_plugin_sdk-*-py3-none-any.whl"
INSTALL_TIMEOUT = 900  # the whole dependency set from the index, on a slow day

PLUGIN = '''\
"""A plugin that knows nothing of the HoloMUSH repository: only the installed SDK."""

import holomush_sdk
from holomush_sdk import CommandRequest, CommandResponse, ServeConfig, errorf, ok, serve


class Greeter:
    async def handle_event(self, event):
        return []

    async def handle_command(self, req: CommandRequest) -> CommandResponse:
        if req.command == "greet":
            return ok(f"Hello, {req.character_name}!")
        if req.command == "sdk":
            return ok(holomush_sdk.__file__)
        return errorf("unknown command: %s", req.command)


if __name__ == "__main__":
    serve(ServeConfig(handler=Greeter()))
'''

API_CHECK = """\
import json, holomush_sdk, holomush_sdk.storage, holomush_sdk.goplugin.client
from holomush.world.v1 import world_pb2_grpc
from holomush.scene.v1 import scene_pb2
names = [holomush_sdk.serve, holomush_sdk.serve_with_services, holomush_sdk.ok,
         holomush_sdk.FocusClient, holomush_sdk.EventSink, holomush_sdk.parse_broker_services,
         holomush_sdk.storage.connect, holomush_sdk.storage.run_migrations,
         world_pb2_grpc.WorldServiceStub, scene_pb2.CreateSceneRequest]
print(json.dumps({"sdk": holomush_sdk.__file__, "checked": len(names),
                  "all": sorted(holomush_sdk.__all__)}))
"""


def find_wheel() -> Path:
    """In a Pants sandbox the wheel sits at the root; in a checkout, under dist/."""
    for directory in (Path.cwd(), Path.cwd() / "dist"):
        found = sorted(directory.glob(WHEEL_GLOB))
        if found:
            return found[-1]
    pytest.fail(f"no {WHEEL_GLOB} here or in dist/: run `./pants package //:sdk-wheel`")


def isolated_env(**extra: str) -> dict[str, str]:
    """A minimal environment: nothing of this test's sys.path or PEX can leak in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "PIP_CERT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its python."""
    root = tmp_path_factory.mktemp("sdk-venv")
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            str(find_wheel().resolve()),
        ],
        env=isolated_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return python


def test_public_api_imports_from_the_installed_wheel(installed: Path) -> None:
    result = subprocess.run(
        [str(installed), "-c", API_CHECK],
        env=isolated_env(),
        cwd=installed.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    venv_dir = installed.parent.parent
    assert Path(report["sdk"]).is_relative_to(venv_dir)
    assert report["checked"] == 10
    assert {"serve", "serve_with_services", "CommandRequest", "FocusClient"} <= set(report["all"])


async def test_a_plugin_written_against_the_wheel_runs(installed: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "greeter.py"
    plugin.write_text(PLUGIN)
    command = PluginCommand(
        argv=[str(installed), str(plugin)],
        env=isolated_env(),
        cwd=str(tmp_path),
        inherit_env=False,
    )
    client = await start_plugin("greeter", command, tls=TransportSecurity.mtls(), start_timeout=60)
    try:
        stub: plugin_pb2_grpc.PluginServiceAsyncStub = plugin_pb2_grpc.PluginServiceStub(
            client.channel
        )
        await stub.Init(plugin_pb2.InitRequest(config=plugin_pb2.ServiceConfig()), timeout=10)
        greet = await stub.HandleCommand(request("greet"), timeout=10)
        sdk = await stub.HandleCommand(request("sdk"), timeout=10)
    finally:
        await client.kill()
    assert (greet.response.status, greet.response.output) == (
        plugin_pb2.COMMAND_STATUS_OK,
        "Hello, Alice!",
    )
    # The plugin ran on the wheel's copy of the SDK, not on this repository's.
    assert Path(sdk.response.output).is_relative_to(installed.parent.parent)


def request(name: str) -> plugin_pb2.HandleCommandRequest:
    return plugin_pb2.HandleCommandRequest(
        command=plugin_pb2.CommandRequest(
            command=name,
            raw_input=name,
            character_id="01JD0000000000000000000001",
            character_name="Alice",
            location_id="01JD0000000000000000000002",
            session_id="01JD0000000000000000000003",
            player_id="01JD0000000000000000000004",
        )
    )

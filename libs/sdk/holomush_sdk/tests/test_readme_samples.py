"""Every code sample in libs/sdk/README.md works.

The README's plugins are written to a temporary directory and run as real plugin
processes (go-plugin over mTLS), called over gRPC the way the host calls them; their
manifests go through the host's manifest parser and policy checks; the storage samples
run against PostgreSQL (a schema and role provisioned by the host's own provisioner),
also from a zip file; the README's own test files pass under pytest; ``pycon`` blocks are
doctests; the reference tables are checked against the code they describe.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import dataclasses
import doctest
import json
import secrets
import shlex
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
import pytest_asyncio
from psycopg import sql

import holomush_sdk
import holomush_sdk.storage
from holomush.plugin.v1 import attribute_pb2, attribute_pb2_grpc, plugin_pb2
from holomush.scene.v1 import scene_pb2, scene_pb2_grpc
from holomush_host.data.host_data import HostData
from holomush_host.manifest.errors import ManifestError
from holomush_host.manifest.parse import TOP_LEVEL_KEYS, parse_manifest
from holomush_host.policy.installation import prepare_plugin_policies
from holomush_host.scaffold import add_plugin_new_arguments, run_plugin_new
from holomush_host.services.world import WorldServicer, add_world_service
from holomush_host.storage.provisioner import PluginStorage, SchemaProvisioner
from holomush_sdk import (
    PLUGIN_HOST_SERVICE_NAME,
    Actor,
    ActorKind,
    CommandRequest,
    FocusErrorCode,
    with_actor_metadata,
)
from holomush_sdk.tests.fake_host import FakePluginHost, add_fake_host
from holomush_sdk.tests.readme_plugins import (
    ALICE_ID,
    LOCATION_ID,
    SESSION_ID,
    child_env,
    command,
    init,
    running_sample,
)
from holomush_sdk.tests.readme_samples import (
    Block,
    Table,
    read_blocks,
    read_tables,
    write_sample_project,
)
from holomush_testing.postgres import PostgresTestServer

BLOCKS = read_blocks()
TABLES = read_tables()
OK = plugin_pb2.COMMAND_STATUS_OK
ERROR = plugin_pb2.COMMAND_STATUS_ERROR
AS_ALICE = with_actor_metadata(None, Actor(ActorKind.CHARACTER, ALICE_ID))
RUN_BY_TESTS = {"greeter", "minimal", "my_scenes", "scene_door", "town_crier", "where"}


def blocks(language: str) -> list[Block]:
    return [block for block in BLOCKS if block.language == language]


def table(section: str, first_header: str) -> Table:
    (found,) = [t for t in TABLES if t.section == section and t.header[0] == first_header]
    return found


def names(cells: list[str]) -> list[str]:
    """The backticked name at the start of each cell: "`join_focus(…)`" → "join_focus"."""
    return [cell.split("`")[1].split("(")[0] for cell in cells]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme")
    write_sample_project(BLOCKS, root)
    return root


@pytest.fixture(scope="module")
def plugins(project: Path) -> Path:
    return project / "plugins"


@pytest_asyncio.fixture
async def plugin_storage(postgres_dsn: str) -> AsyncIterator[PluginStorage]:
    """A schema and login role for one plugin, exactly as the host provisions them."""
    name = f"readme-{secrets.token_hex(4)}"  # roles are server-wide: never reuse one
    async with SchemaProvisioner(postgres_dsn) as provisioner:
        storage = await provisioner.provision(name)
        try:
            yield storage
        finally:
            await provisioner.purge(name)


# -- the samples themselves --------------------------------------------------------------


def test_every_sample_says_what_it_is() -> None:
    for block in BLOCKS:
        if block.language in {"python", "yaml", "sql"}:
            assert block.marker is not None, f"{block}: add <!-- sample: ... --> above it"
        else:
            assert block.language in {"pycon", "bash"}, f"{block}: unknown language"
    paths = [block.marker for block in BLOCKS if block.path is not None]
    assert len(paths) == len(set(paths)), "two samples write the same file"


def test_every_sample_plugin_is_run_by_a_test(plugins: Path) -> None:
    assert {path.name for path in plugins.iterdir()} == RUN_BY_TESTS


@pytest.mark.parametrize("block", blocks("python"), ids=str)
def test_python_samples_compile(block: Block) -> None:
    compile(block.text, str(block), "exec", dont_inherit=True)


@pytest.mark.parametrize("block", blocks("pycon"), ids=str)
def test_interactive_examples_run_as_shown(block: Block) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, {}, str(block), str(block), block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test, out=lambda text: None)
    if result.failed:
        report: list[str] = []
        doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test, out=report.append)
        pytest.fail("".join(report))
    assert result.attempted > 0


@pytest.mark.parametrize(
    "block", [b for b in blocks("yaml") if b.marker != "manifest-fragment"], ids=str
)
def test_manifests_load_in_the_host_with_no_policy_warning(block: Block) -> None:
    manifest = parse_manifest(block.text, source_name=str(block))
    if manifest.policies:  # every command can be executed
        assert prepare_plugin_policies(manifest).warnings == ()
    if block.path is not None:
        package_dir = block.path.parent.name
        assert manifest.binary_plugin is not None
        assert manifest.binary_plugin.executable == manifest.name
        assert package_dir == manifest.name.replace("-", "_")


def test_manifest_fragment_loads_inside_a_manifest() -> None:
    (fragment,) = [b for b in blocks("yaml") if b.marker == "manifest-fragment"]
    text = "name: fragment\nversion: 1.0.0\ntype: binary\nbinary-plugin:\n  executable: x\n"
    manifest = parse_manifest(text + fragment.text)
    assert [(c.name, c.aliases) for c in manifest.commands] == [("scene", ("sc",))]
    assert prepare_plugin_policies(manifest).warnings == ()


def test_a_broken_manifest_sample_would_be_caught() -> None:
    (sample,) = [b for b in blocks("yaml") if b.marker == "plugins/greeter/plugin.yaml"]
    with pytest.raises(ManifestError, match="did you mean"):
        parse_manifest(sample.text.replace("commands:", "command:"))


# -- the reference tables ------------------------------------------------------------------


def test_manifest_field_table_lists_every_key_the_host_reads() -> None:
    fields = names(table("Field reference", "Field").column(0))
    assert sorted(fields) == sorted(TOP_LEVEL_KEYS)


def test_command_request_table_lists_every_field() -> None:
    fields = names(table("Adding command handling", "Field").column(0))
    assert fields == [field.name for field in dataclasses.fields(CommandRequest)]


def test_command_status_table_lists_every_status() -> None:
    statuses = names(table("Adding command handling", "`CommandStatus`").column(0))
    assert statuses == [status.name for status in holomush_sdk.CommandStatus]


def test_focus_tables_match_the_focus_client() -> None:
    codes = names(table("Error codes", "Code").column(0))
    assert codes == [code.value for code in FocusErrorCode]
    methods = names(table("Methods", "Method").column(0))
    assert sorted(methods) == sorted(
        name for name in vars(holomush_sdk.FocusClient) if not name.startswith("_")
    )


@pytest.mark.parametrize(
    "section",
    ["Core types", "Entry points", "Storage SDK (`holomush_sdk.storage`)", "Broker helpers"],
)
def test_sdk_reference_names_exist(section: str) -> None:
    (found,) = [t for t in TABLES if t.section == section]
    for name in names(found.column(0)):
        target: object = holomush_sdk
        for part in name.split("."):
            target = getattr(target, part)
        assert target is not None


# -- the plugins, run as the host runs them --------------------------------------------------


async def test_minimal_plugin_serves_events(plugins: Path) -> None:
    async with running_sample(plugins / "minimal", "minimal") as client:
        stub = await init(client)
        event = plugin_pb2.Event(
            id="01JD0000000000000000000009",
            stream=f"location:{LOCATION_ID}",
            type="say",
            timestamp=1_700_000_000_000,
            actor_kind="character",
            actor_id=ALICE_ID,
            payload='{"message": "hi"}',
        )
        reply = await stub.HandleEvent(plugin_pb2.HandleEventRequest(event=event), timeout=10)
        assert list(reply.emit_events) == []
        # No handle_command: a command gets an empty response (status unset means OK).
        answer = await stub.HandleCommand(command("anything"), timeout=10)
        assert answer.response == plugin_pb2.CommandResponse()
    assert await client.wait_exit() == 0


async def test_greeter_answers_its_command(plugins: Path) -> None:
    async with running_sample(plugins / "greeter", "greeter") as client:
        stub = await init(client)
        greet = await stub.HandleCommand(command("greet"), timeout=10)
        assert (greet.response.status, greet.response.output) == (OK, "Hello, Alice!")
        other = await stub.HandleCommand(command("dance", "wildly"), timeout=10)
        assert (other.response.status, other.response.output) == (
            ERROR,
            "unknown subcommand: wildly",
        )


async def test_where_dials_the_hosts_world_service(plugins: Path, postgres_dsn: str) -> None:
    data = await HostData.open(postgres_dsn, min_connections=1, max_connections=2)
    try:
        alice = await data.world.create_guest_character()
        location = await data.world.get_location(alice.location_id)
        async with running_sample(plugins / "where", "where") as client:
            world = WorldServicer(data.world)
            await client.broker.accept_and_serve(2, lambda server: add_world_service(world, server))
            stub = await init(
                client, required_services={"holomush.world.v1.WorldService": "broker:2"}
            )
            request = command("where", character_id=alice.id, location_id=alice.location_id)
            reply = await stub.HandleCommand(request, timeout=10)
            assert reply.response.output == f"You are in {location.name}."
            lost = command("where", character_id=alice.id, location_id="not-a-ulid")
            reply = await stub.HandleCommand(lost, timeout=10)
            assert reply.response.status == plugin_pb2.COMMAND_STATUS_FAILURE
            assert reply.response.output.startswith("cannot look up your location: invalid")
    finally:
        await data.close()


async def test_my_scenes_provides_scene_service_backed_by_its_schema(
    plugins: Path, plugin_storage: PluginStorage, postgres_dsn: str
) -> None:
    async with running_sample(plugins / "my_scenes", "my-scenes") as client:
        stub = await init(client, connection_string=plugin_storage.dsn)
        scenes = scene_pb2_grpc.SceneServiceStub(client.channel)
        created = await scenes.CreateScene(
            scene_pb2.CreateSceneRequest(character_id=ALICE_ID, title="  Tea at noon "),
            metadata=AS_ALICE,
            timeout=10,
        )
        got = await scenes.GetScene(
            scene_pb2.GetSceneRequest(character_id=ALICE_ID, scene_id=created.scene.id),
            timeout=10,
        )
        assert (got.scene.title, got.scene.owner_id, got.scene.state) == (
            "Tea at noon",
            ALICE_ID,
            "active",
        )
        failures = [
            (scene_pb2.CreateSceneRequest(character_id=ALICE_ID, title=" "), "CreateScene"),
            (scene_pb2.CreateSceneRequest(character_id=ALICE_ID, title="x" * 201), "CreateScene"),
            (scene_pb2.GetSceneRequest(scene_id="missing"), "GetScene"),
        ]
        outcomes = []
        for request, method in failures:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await getattr(scenes, method)(request, timeout=10)
            outcomes.append((caught.value.code(), caught.value.details()))
        assert outcomes == [
            (grpc.StatusCode.INVALID_ARGUMENT, "title is required"),
            (
                grpc.StatusCode.INVALID_ARGUMENT,
                "request validation failed: title: value length must be at most 200 characters",
            ),
            (grpc.StatusCode.NOT_FOUND, "scene missing not found"),
        ]

        resolver = attribute_pb2_grpc.AttributeResolverServiceStub(client.channel)
        schema = await resolver.GetSchema(attribute_pb2.GetSchemaRequest(), timeout=10)
        assert dict(schema.resource_types["scene"].attributes) == {
            "owner": attribute_pb2.ATTRIBUTE_TYPE_STRING,
            "state": attribute_pb2.ATTRIBUTE_TYPE_STRING,
        }
        attributes = await resolver.ResolveResource(
            attribute_pb2.ResolveResourceRequest(
                resource_type="scene", resource_id=created.scene.id
            ),
            timeout=10,
        )
        assert attributes.attributes["owner"].string_value == ALICE_ID

        reply = await stub.HandleCommand(command("scene"), timeout=10)
        assert reply.response.output == "Use scene service RPCs."

    async with await psycopg.AsyncConnection.connect(postgres_dsn) as conn:
        query = sql.SQL("SELECT version, name FROM {}.plugin_migrations").format(
            sql.Identifier(plugin_storage.schema)
        )
        migrations = await (await conn.execute(query)).fetchall()
    assert migrations == [(1, "000001_scenes.up.sql")]


async def test_my_scenes_refuses_init_without_storage(plugins: Path) -> None:
    async with running_sample(plugins / "my_scenes", "my-scenes") as client:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await init(client)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details() == "SCENE_INIT_FAILED: connection_string is required"


def test_the_readmes_own_tests_pass(plugins: Path, postgres_server: PostgresTestServer) -> None:
    plugin_dir = plugins / "my_scenes"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "holomush_testing.pytest_plugin",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "my_scenes/tests",
        ],
        cwd=plugin_dir,
        env=child_env(plugin_dir, HOLOMUSH_TEST_DATABASE_URL=postgres_server.admin_dsn),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


async def test_migrations_run_from_a_zipped_package(
    plugins: Path, plugin_storage: PluginStorage, postgres_dsn: str, tmp_path: Path
) -> None:
    archive = tmp_path / "my_scenes.zip"
    package = plugins / "my_scenes" / "my_scenes"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, path.relative_to(package.parent).as_posix())
    script = (
        "import asyncio, sys\n"
        "from my_scenes import store\n"
        "async def main():\n"
        "    opened = await store.open_scene_store(sys.argv[1])\n"
        "    await opened.close()\n"
        "asyncio.run(main())\n"
        "print(store.__file__)\n"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, plugin_storage.dsn],
        env=child_env(archive),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(archive / "my_scenes" / "store.py")
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as conn:
        query = sql.SQL("SELECT name FROM {}.plugin_migrations").format(
            sql.Identifier(plugin_storage.schema)
        )
        assert await (await conn.execute(query)).fetchall() == [("000001_scenes.up.sql",)]


@pytest.fixture
def fake_host() -> FakePluginHost:
    host = FakePluginHost()
    host.state.sessions.add(SESSION_ID)
    return host


async def test_town_crier_emits_through_the_event_sink_and_uses_kv(
    plugins: Path, fake_host: FakePluginHost
) -> None:
    async with running_sample(plugins / "town_crier", "town-crier") as client:
        await client.broker.accept_and_serve(1, add_fake_host(fake_host))
        stub = await init(client, required_services={PLUGIN_HOST_SERVICE_NAME: "broker:1"})
        empty = await stub.HandleCommand(command("lastcry"), metadata=AS_ALICE, timeout=10)
        assert empty.response.output == "No news yet."
        cry = await stub.HandleCommand(
            command("cry", "The bridge is open!"), metadata=AS_ALICE, timeout=10
        )
        assert cry.response.output == "You cry out the news."
        last = await stub.HandleCommand(command("lastcry"), metadata=AS_ALICE, timeout=10)
        assert last.response.output == "Last news: The bridge is open!"
        usage = await stub.HandleCommand(command("cry"), metadata=AS_ALICE, timeout=10)
        assert (usage.response.status, usage.response.output) == (
            ERROR,
            "usage: cry <news> | lastcry",
        )
    (emitted,) = fake_host.state.emitted
    assert (emitted.stream, emitted.event_type) == (f"location:{LOCATION_ID}", "say")
    assert json.loads(emitted.payload) == {"message": "Hear ye! The bridge is open!"}
    assert emitted.actor == Actor(ActorKind.CHARACTER, ALICE_ID)
    assert fake_host.state.kv == {"last-cry": "The bridge is open!"}


async def test_scene_door_drives_focus_and_reads_history(
    plugins: Path, fake_host: FakePluginHost
) -> None:
    fake_host.state.history["scene:01SCENE:ic"] = [
        plugin_pb2.Event(id=f"0{i}", stream="scene:01SCENE:ic", type="pose", payload=f"line {i}")
        for i in range(1, 3)
    ]
    async with running_sample(plugins / "scene_door", "scene-door") as client:
        await client.broker.accept_and_serve(1, add_fake_host(fake_host))
        stub = await init(client, required_services={PLUGIN_HOST_SERVICE_NAME: "broker:1"})

        async def run(name: str, args: str, session: str = SESSION_ID) -> tuple[int, str]:
            request = command(name, args, session_id=session)
            reply = await stub.HandleCommand(request, metadata=AS_ALICE, timeout=10)
            return reply.response.status, reply.response.output

        assert await run("present", "01SCENE") == (ERROR, "You are not in scene 01SCENE.")
        assert await run("enter", "01SCENE") == (OK, "Joined scene 01SCENE.")
        assert await run("enter", "01SCENE") == (OK, "Joined scene 01SCENE.")  # idempotent
        assert await run("present", "01SCENE") == (OK, "Now showing scene 01SCENE.")
        assert await run("recap", "01SCENE") == (OK, "line 1\nline 2")
        assert await run("enter", "01OTHER", session="01GHOST") == (
            ERROR,
            "failed to join scene: join focus: SESSION_NOT_FOUND: 01GHOST",
        )
        assert await run("enter", "") == (ERROR, "usage: enter <scene id>")
    assert fake_host.state.memberships[SESSION_ID] == [(plugin_pb2.FOCUS_KIND_SCENE, "01SCENE")]
    assert fake_host.state.presenting[SESSION_ID] == (plugin_pb2.FOCUS_KIND_SCENE, "01SCENE")


# -- building and the command line -----------------------------------------------------------


def build_targets(text: str) -> dict[str, dict[str, object]]:
    """The targets a BUILD sample declares: name → keyword arguments (literals only)."""
    targets: dict[str, dict[str, object]] = {}
    for statement in ast.parse(text).body:
        assert isinstance(statement, ast.Expr)
        assert isinstance(statement.value, ast.Call)
        call = statement.value
        assert isinstance(call.func, ast.Name)
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
        targets[str(kwargs.get("name", call.func.id))] = {"type": call.func.id, **kwargs}
    return targets


def sample_text(path: str) -> str:
    (block,) = [b for b in BLOCKS if b.marker == path]
    return block.text


def test_build_samples_package_the_sample_plugin(plugins: Path) -> None:
    plugin_dir = plugins / "my_scenes"
    manifest = parse_manifest(plugin_dir / "plugin.yaml")
    assert manifest.binary_plugin is not None
    executable = manifest.binary_plugin.executable
    targets = build_targets(sample_text("plugins/my_scenes/BUILD"))
    pex = targets[executable]
    assert pex["type"] == "pex_binary"
    assert pex["output_path"] == f"{manifest.name}/{executable}.pex"
    module, _, function = str(pex["entry_point"]).partition(":")
    main = plugin_dir.joinpath(*module.split(".")).with_suffix(".py")
    assert f"def {function}()" in main.read_text()
    assert pex["dependencies"] == ["./my_scenes"]
    assert targets["bundle-manifest"]["src"] == "plugins/my_scenes"
    assert targets["bundle-manifest"]["dest"] == manifest.name
    assert targets["launcher"] == {
        "type": "file",
        "name": "launcher",
        "source": f"bundle/{executable}",
    }
    assert targets["bundle-launcher"]["src"] == "plugins/my_scenes/bundle"
    assert targets["bundle-launcher"]["dest"] == manifest.name
    assert targets["bundle"]["files"] == [":bundle-manifest", ":bundle-launcher"]
    assert targets["bundle"]["packages"] == [f":{executable}"]
    assert targets["bundle"]["output_path"] == f"{manifest.name}.tar.gz"

    package_build = build_targets(sample_text("plugins/my_scenes/my_scenes/BUILD"))
    overrides = package_build["python_sources"]["overrides"]
    assert isinstance(overrides, dict)
    assert set(overrides) == {"store.py"}
    assert "my_scenes.migrations" in (plugin_dir / "my_scenes/store.py").read_text()
    migrations = build_targets(sample_text("plugins/my_scenes/my_scenes/migrations/BUILD"))
    assert migrations["sql"] == {"type": "resources", "name": "sql", "sources": ["*.sql"]}
    sql_files = sorted(p.name for p in (plugin_dir / "my_scenes/migrations").glob("*.sql"))
    assert sql_files == ["000001_scenes.down.sql", "000001_scenes.up.sql"]


def shell_commands() -> Iterator[list[str]]:
    for block in blocks("bash"):
        for line in block.text.splitlines():
            if line.strip():
                yield shlex.split(line)


def test_pants_commands_name_targets_of_the_samples(project: Path) -> None:
    targets = build_targets(sample_text("plugins/my_scenes/BUILD"))
    for words in shell_commands():
        if words[0] == "./pants":
            path, _, name = words[2].partition(":")
            assert (project / path).is_dir(), words
            assert name in {"", ":"} | set(targets), words
        elif words[0] == "tar":
            assert words[2] == f"dist/{targets['bundle']['output_path']}", words


def test_holomush_plugin_new_commands_work(tmp_path: Path) -> None:
    commands = [words for words in shell_commands() if words[:3] == ["holomush", "plugin", "new"]]
    assert len(commands) == 3
    parser = argparse.ArgumentParser(prog="holomush plugin new")
    add_plugin_new_arguments(parser)
    for words in commands:
        args = parser.parse_args(words[3:])
        args.dir = tmp_path / args.dir
        assert run_plugin_new(args) == 0, words
        parse_manifest(args.dir / args.name.replace("-", "_") / "plugin.yaml")

"""Transport benchmark: plugin start-up and Ping round trips, against a bare grpcio baseline.

Run with ``./pants run benchmarks/transport:bench``, which starts the minimal plugin the ways
a host runs a packaged plugin: through the bundle launcher (build-support/plugin-launcher,
what a bundle's executable is) and as the bare PEX; ``./pants run
benchmarks/transport/bench_transport.py`` starts it as a module instead. Prints a Markdown
table. Bounded to about a minute. Rows:

* start-up: spawn → handshake → connect → Ping answered (``start_plugin`` returning) for
  a minimal plugin; cold is the first start in this process, warm the median of repeats.
  The baseline is the floor for any Python gRPC plugin: spawn a bare grpcio health server,
  read its address, connect with the same TLS settings and Ping it. The CPU row (the
  child's user+sys time from spawn to exit) is what a busy machine cannot distort;
* Ping: sequential Health.Check("plugin") round trips through our host client against
  our plugin, and through a bare grpcio client against a bare grpcio health server in
  another Python process, over the same transport (unix socket) and TLS settings,
  interleaved in rounds so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holomush_sdk.goplugin.client import PluginClient, PluginCommand, start_plugin
from holomush_sdk.goplugin.identities import plugin_identity
from holomush_sdk.goplugin.tls import PluginTransport, TransportSecurity

WARM_STARTS = 8
PING_ROUNDS = 5
PINGS_PER_ROUND = 600
WARMUP_PINGS = 300
TIME_BUDGET = 75.0  # seconds; each phase checks it


def _child_argv(name: str) -> list[str]:
    """Run a sibling module, whether this file runs as a module or as a script."""
    if __package__:
        return [sys.executable, "-m", f"{__package__}.{name}"]
    return [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


@dataclass
class Latencies:
    seconds: list[float]

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def per_second(self) -> float:
        return len(self.seconds) / sum(self.seconds)


async def _time_calls(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    samples = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        await call()
        samples.append(clock() - started)
    return samples


class BarePeer:
    """The baseline: bare grpcio server process + bare grpcio client channel."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        channel: grpc.aio.Channel,
        transport: PluginTransport,
    ) -> None:
        self.process = process
        self.channel = channel
        self.transport = transport
        self._check = health_pb2_grpc.HealthStub(channel).Check
        self._request = health_pb2.HealthCheckRequest(service="plugin")

    async def ping(self) -> None:
        await self._check(self._request, timeout=5)

    @classmethod
    async def start(cls, tls: TransportSecurity) -> BarePeer:
        # Reuse the host's per-plugin preparation so that key material and env match exactly.
        transport = tls.prepare("bare")
        process = await asyncio.create_subprocess_exec(
            *_child_argv("bare_health_server"),
            env=_child_env() | transport.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        path = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        if tls.mode == "mtls":
            assert tls.ca is not None
            host = tls.ca.issue_host_certificate()
            credentials = grpc.ssl_channel_credentials(tls.ca.cert_pem, host.key_pem, host.cert_pem)
            options = [("grpc.ssl_target_name_override", plugin_identity("bare"))]
            channel = grpc.aio.secure_channel(f"unix:{path}", credentials, options=options)
        else:
            channel = grpc.aio.insecure_channel(f"unix:{path}")
        return cls(process, channel, transport)

    async def close(self) -> None:
        await self.channel.close(None)
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)
        self.transport.cleanup()


async def _start_minimal(
    tls: TransportSecurity, name: str, argv: list[str]
) -> tuple[float, PluginClient]:
    command = PluginCommand(argv=argv, env=_child_env())
    started = time.perf_counter()
    client = await start_plugin(name, command, tls=tls)
    return time.perf_counter() - started, client


async def _start_bare(tls: TransportSecurity) -> tuple[float, BarePeer]:
    started = time.perf_counter()
    peer = await BarePeer.start(tls)
    await peer.ping()
    return time.perf_counter() - started, peer


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class StartupSamples:
    """Wall time to Ping answered, and the child's CPU time from spawn to exit."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


async def _sample_plugin(tls: TransportSecurity, argv: list[str], samples: StartupSamples) -> None:
    cpu_before = _children_cpu()
    elapsed, client = await _start_minimal(tls, "minimal", argv)
    await client.kill()
    samples.wall.append(elapsed)
    samples.cpu.append(_children_cpu() - cpu_before)


async def _sample_bare(tls: TransportSecurity, samples: StartupSamples) -> None:
    cpu_before = _children_cpu()
    elapsed, peer = await _start_bare(tls)
    await peer.close()
    samples.wall.append(elapsed)
    samples.cpu.append(_children_cpu() - cpu_before)


async def bench_startup(
    tls: TransportSecurity, argv: list[str], deadline: float
) -> tuple[StartupSamples, StartupSamples]:
    """Ours and the bare baseline, alternating so that machine noise hits both alike.

    The first sample of each is the cold start (the first in this host process).
    """
    # Load grpc's shared library into the page cache first, so that neither cold start
    # pays for the disk read and the other gets it free.
    warmup = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import grpc.aio, grpc_health.v1.health", env=_child_env()
    )
    await warmup.wait()
    ours, bare = StartupSamples(), StartupSamples()
    for _ in range(WARM_STARTS + 1):
        if time.monotonic() > deadline and ours.wall:
            break
        await _sample_plugin(tls, argv, ours)
        await _sample_bare(tls, bare)
    return ours, bare


async def bench_ping(
    tls: TransportSecurity, argv: list[str], deadline: float
) -> tuple[Latencies, Latencies]:
    _, plugin = await _start_minimal(tls, "pinged", argv)
    bare = await BarePeer.start(tls)
    ours: list[float] = []
    baseline: list[float] = []
    try:
        await _time_calls(plugin.ping, WARMUP_PINGS)
        await _time_calls(bare.ping, WARMUP_PINGS)
        for _ in range(PING_ROUNDS):
            if time.monotonic() > deadline:
                break
            baseline += await _time_calls(bare.ping, PINGS_PER_ROUND)
            ours += await _time_calls(plugin.ping, PINGS_PER_ROUND)
    finally:
        await plugin.kill()
        await bare.close()
    return Latencies(ours), Latencies(baseline)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _startup_rows(how: str, ours: StartupSamples, bare: StartupSamples) -> list[str]:
    mine, base = statistics.median(ours.wall[1:]), statistics.median(bare.wall[1:])
    cpu, base_cpu = statistics.median(ours.cpu[1:]), statistics.median(bare.cpu[1:])
    return [
        f"| start-up ({how}), cold (spawn → Ping answered) | mTLS | {_ms(ours.wall[0])} "
        f"| {_ms(bare.wall[0])} | {ours.wall[0] / bare.wall[0]:.2f}x |",
        f"| start-up ({how}), warm (median of {len(ours.wall) - 1}) | mTLS "
        f"| {_ms(mine)} | {_ms(base)} | {mine / base:.2f}x |",
        f"| start-up ({how}), child CPU spawn → exit (median) | mTLS | {_ms(cpu)} "
        f"| {_ms(base_cpu)} | {cpu / base_cpu:.2f}x |",
    ]


async def run(starts: dict[str, list[str]]) -> str:
    """`starts`: how to start the minimal plugin, by name; the first one also answers Pings."""
    deadline = time.monotonic() + TIME_BUDGET
    # Quiet: the plaintext warnings and the plugins' own logs are not what we measure.
    logging.getLogger("holomush_sdk.goplugin.tls").setLevel(logging.ERROR)
    logging.getLogger("holomush.plugin").setLevel(logging.ERROR)
    rows = [
        "| measurement | transport security | value | baseline (bare grpcio) | ratio |",
        "|---|---|---|---|---|",
    ]
    mtls = TransportSecurity.mtls()
    for how, argv in starts.items():
        rows += _startup_rows(how, *await bench_startup(mtls, argv, deadline))
    ping_argv = next(iter(starts.values()))
    for label, tls in (
        ("mTLS (TLS 1.3)", mtls),
        ("plaintext", TransportSecurity.plaintext(insecure=True)),
    ):
        ours, bare = await bench_ping(tls, ping_argv, deadline)
        for name, fraction in (("p50", 0.50), ("p99", 0.99)):
            mine, base = ours.percentile(fraction), bare.percentile(fraction)
            rows.append(
                f"| Ping round trip {name} | {label} | {_ms(mine)} | {_ms(base)} | {mine / base:.2f}x |"
            )
        rows.append(
            f"| Ping calls/s (sequential, n={len(ours.seconds)}) | {label} | {ours.per_second:,.0f} "
            f"| {bare.per_second:,.0f} | {bare.per_second / ours.per_second:.2f}x |"
        )
    return "\n".join(rows)


def _bundle_launcher(launcher: str, pex: str, workdir: str) -> list[str]:
    """Lay the launcher and the PEX out as a bundle does: `minimal` beside `minimal.pex`."""
    executable = os.path.join(workdir, "minimal")
    shutil.copy2(launcher, executable)
    os.symlink(os.path.abspath(pex), executable + ".pex")
    return [executable]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="go-plugin transport benchmark")
    parser.add_argument("--plugin-pex", help="start the minimal plugin from this PEX")
    parser.add_argument("--launcher", help="also start that PEX through this bundle launcher")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-transport-") as workdir:
        starts: dict[str, list[str]] = {}
        if args.plugin_pex and args.launcher:
            starts["bundle launcher"] = _bundle_launcher(args.launcher, args.plugin_pex, workdir)
        if args.plugin_pex:
            starts["PEX run directly"] = [os.path.abspath(args.plugin_pex)]
        table = asyncio.run(run(starts or {"module": _child_argv("minimal_plugin")}))
    print(table)
    print(
        f"\n(total {time.monotonic() - started:.1f} s; ratio = ours / bare for times, bare / ours for calls/s)"
    )


if __name__ == "__main__":
    main()

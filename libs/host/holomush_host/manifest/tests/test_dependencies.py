"""resolve_load_order / plan_load_order: ordering, every error code, and what it names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from holomush_host.manifest import (
    DependencyError,
    DependencyErrorCode,
    Manifest,
    discover,
    parse_manifest,
    plan_load_order,
    resolve_load_order,
)
from holomush_host.manifest.tests.helpers import (
    CORE_SCENES_MANIFEST,
    ECHO_BOT_MANIFEST,
    dump,
    minimal,
    write_plugin,
)


def plugin(name: str, **fields: Any) -> Manifest:
    return replace(parse_manifest(dump(minimal(name=name))), source=f"{name}/plugin.yaml", **fields)


def names(manifests: list[Manifest]) -> list[str]:
    return [m.name for m in manifests]


def test_shipped_plugins_load_with_the_host_services():
    core = parse_manifest(CORE_SCENES_MANIFEST)
    echo = parse_manifest(ECHO_BOT_MANIFEST)
    assert names(resolve_load_order([echo, core])) == ["core-scenes", "echo-bot"]


def test_providers_load_before_consumers_and_dependencies_before_dependents():
    consumer = plugin("a-consumer", requires=("x.v1.Thing",))
    provider = plugin("z-provider", provides=("x.v1.Thing",))
    dependent = plugin("b-dependent", dependencies={"a-consumer": "^1.0.0"})
    assert names(resolve_load_order([dependent, consumer, provider])) == [
        "z-provider",
        "a-consumer",
        "b-dependent",
    ]


def test_independent_plugins_order_by_priority_then_name():
    manifests = [plugin("c"), plugin("a"), plugin("b", priority=5), plugin("d", priority=100)]
    assert names(resolve_load_order(manifests)) == ["b", "a", "c", "d"]
    assert names(resolve_load_order(list(reversed(manifests)))) == ["b", "a", "c", "d"]


def test_host_services_satisfy_requires_and_can_be_replaced():
    world = plugin("w", requires=("holomush.world.v1.WorldService",))
    assert names(resolve_load_order([world])) == ["w"]
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([world], host_services=set())
    assert caught.value.code is DependencyErrorCode.UNSATISFIED_REQUIRES


def test_duplicate_plugin_name_names_both_manifests():
    first = replace(plugin("demo"), source="one/plugin.yaml")
    second = replace(plugin("demo"), source="two/plugin.yaml")
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([first, second])
    (problem,) = caught.value.problems
    assert problem.code is DependencyErrorCode.DUPLICATE_PLUGIN_NAME
    assert "one/plugin.yaml" in problem.message
    assert "two/plugin.yaml" in problem.message
    assert problem.plugins == ("demo",)


def test_duplicate_service_provider_names_both_plugins():
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([plugin("a", provides=("x.v1.S",)), plugin("b", provides=("x.v1.S",))])
    (problem,) = caught.value.problems
    assert problem.code is DependencyErrorCode.DUPLICATE_SERVICE_PROVIDER
    assert (
        problem.message
        == 'service "x.v1.S" is provided by more than one plugin: "a", "b"; only one may provide it'
    )
    assert problem.plugins == ("a", "b")


def test_providing_a_host_service_is_a_duplicate_provider():
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([plugin("rogue", provides=("holomush.world.v1.WorldService",))])
    assert caught.value.code is DependencyErrorCode.DUPLICATE_SERVICE_PROVIDER
    assert "served by the host" in str(caught.value)


def test_unsatisfied_requires_uses_the_reference_message():
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([plugin("lonely", requires=("x.v1.Missing",))])
    (problem,) = caught.value.problems
    assert problem.code is DependencyErrorCode.UNSATISFIED_REQUIRES
    assert problem.message == (
        'plugin "lonely" requires service "x.v1.Missing" which is not provided by any plugin or server'
    )


def test_short_service_names_do_not_match_but_the_full_name_is_suggested():
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([plugin("short", requires=("WorldService",))])
    assert caught.value.problems[0].message.endswith(
        '(did you mean "holomush.world.v1.WorldService"?)'
    )


def test_unsatisfied_dependency_for_missing_plugin_and_wrong_version():
    needs_missing = plugin("a", dependencies={"ghost": "*"})
    needs_newer = plugin("b", dependencies={"c": ">=2.0.0"})
    old = plugin("c")
    plan = plan_load_order([needs_missing, needs_newer, old])
    assert names(list(plan.order)) == ["c"]
    messages = {p.plugins: (p.code, p.message) for p in plan.problems}
    assert messages[("a",)] == (
        DependencyErrorCode.UNSATISFIED_DEPENDENCY,
        'plugin "a" depends on plugin "ghost", which was not discovered',
    )
    assert messages[("b",)] == (
        DependencyErrorCode.UNSATISFIED_DEPENDENCY,
        'plugin "b" depends on plugin "c" >=2.0.0, but version 1.0.0 was discovered',
    )


def test_a_failure_propagates_to_everything_that_needs_it():
    broken = plugin("a", requires=("x.v1.Missing",), provides=("x.v1.A",))
    middle = plugin("b", requires=("x.v1.A",))
    top = plugin("c", dependencies={"b": "*"})
    fine = plugin("d")
    plan = plan_load_order([broken, middle, top, fine])
    assert names(list(plan.order)) == ["d"]
    assert plan.excluded == {"a", "b", "c"}
    by_plugin = {p.plugins[0]: p.message for p in plan.problems}
    assert (
        by_plugin["b"]
        == 'plugin "b" requires service "x.v1.A", but its provider "a" cannot be loaded'
    )
    assert by_plugin["c"] == 'plugin "c" depends on plugin "b", which cannot be loaded'


def test_circular_dependency_names_the_cycle_and_what_waits_on_it():
    a = plugin("a", requires=("x.v1.B",), provides=("x.v1.A",))
    b = plugin("b", dependencies={"a": "*"}, provides=("x.v1.B",))
    waiting = plugin("c", dependencies={"b": "*"})
    free = plugin("d")
    plan = plan_load_order([a, b, waiting, free])
    assert names(list(plan.order)) == ["d"]
    (problem,) = plan.problems
    assert problem.code is DependencyErrorCode.CIRCULAR_DEPENDENCY
    assert problem.message == (
        'circular dependency: a -> b -> a (b depends on a; a requires x.v1.B from b); cannot load: "a", "b", "c"'
    )
    assert problem.plugins == ("a", "b", "c")
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([a, b, waiting, free])
    assert caught.value.code is DependencyErrorCode.CIRCULAR_DEPENDENCY


def test_self_cycle_is_reported():
    selfish = plugin("me", requires=("x.v1.Me",), provides=("x.v1.Me",))
    with pytest.raises(DependencyError) as caught:
        resolve_load_order([selfish])
    assert "circular dependency: me -> me (me requires x.v1.Me from me)" in str(caught.value)


def test_every_problem_is_reported_together():
    plan = plan_load_order(
        [
            plugin("dup"),
            plugin("dup"),
            plugin("x", requires=("a.v1.Nope",)),
            plugin("y", dependencies={"nope": "*"}),
        ]
    )
    assert {p.code for p in plan.problems} == {
        DependencyErrorCode.DUPLICATE_PLUGIN_NAME,
        DependencyErrorCode.UNSATISFIED_REQUIRES,
        DependencyErrorCode.UNSATISFIED_DEPENDENCY,
    }
    assert plan.order == ()


def test_discovered_plugins_come_back_in_order(tmp_path: Path):
    write_plugin(
        tmp_path, "consumer", dump(minimal(name="consumer", requires=["x.v1.S"])), executable="demo"
    )
    write_plugin(
        tmp_path, "provider", dump(minimal(name="provider", provides=["x.v1.S"])), executable="demo"
    )
    ordered = resolve_load_order(discover(tmp_path).plugins)
    assert [p.name for p in ordered] == ["provider", "consumer"]
    assert ordered[0].executable == (tmp_path / "provider" / "demo").resolve()

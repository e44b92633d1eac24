"""Ruff for Pants 2.17 with today's ruff CLI.

Pants 2.17's own ruff backend calls `ruff --fix <files>`, which ruff removed in 0.5 in favour
of `ruff check`, and it predates `ruff format`. This backend reuses its `[ruff]` subsystem and
`skip_ruff` field but runs `ruff format` under `fmt`, `ruff check --fix` under `fix`, and
`ruff check` under `lint` (which also verifies that `fmt`/`fix` would change nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pants.backend.python.lint.ruff import skip_field, subsystem
from pants.backend.python.lint.ruff.subsystem import Ruff, RuffFieldSet
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.core.goals.fix import FixResult, FixTargetsRequest
from pants.core.goals.fmt import FmtResult, FmtTargetsRequest
from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules.config_files import ConfigFiles, ConfigFilesRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import Digest, MergeDigests
from pants.engine.internals.native_engine import Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.logging import LogLevel
from pants.util.meta import classproperty


class RuffFormatRequest(FmtTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff format"


class RuffCheckFixRequest(FixTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff check --fix"


class RuffCheckRequest(LintTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff check"


@dataclass(frozen=True)
class _RuffRun:
    snapshot: Snapshot
    command: tuple[str, ...]


@rule(level=LogLevel.DEBUG)
async def run_ruff(request: _RuffRun, ruff: Ruff) -> FallibleProcessResult:
    ruff_pex, config_files = await MultiGet(
        Get(VenvPex, PexRequest, ruff.to_pex_request()),
        Get(ConfigFiles, ConfigFilesRequest, ruff.config_request(request.snapshot.dirs)),
    )
    input_digest = await Get(
        Digest, MergeDigests((request.snapshot.digest, config_files.snapshot.digest))
    )
    conf_args = (f"--config={ruff.config}",) if ruff.config else ()
    return await Get(
        FallibleProcessResult,
        VenvPexProcess(
            ruff_pex,
            argv=(*request.command, *conf_args, *ruff.args, *request.snapshot.files),
            input_digest=input_digest,
            output_files=request.snapshot.files,
            description=f"Run ruff {' '.join(request.command)} on {len(request.snapshot.files)} files.",
            level=LogLevel.DEBUG,
        ),
    )


@rule(desc="Format with ruff", level=LogLevel.DEBUG)
async def ruff_format(request: RuffFormatRequest.Batch, ruff: Ruff) -> FmtResult:
    result = await Get(FallibleProcessResult, _RuffRun(request.snapshot, ("format",)))
    return await FmtResult.create(request, result, strip_chroot_path=True)


@rule(desc="Fix with ruff", level=LogLevel.DEBUG)
async def ruff_check_fix(request: RuffCheckFixRequest.Batch, ruff: Ruff) -> FixResult:
    result = await Get(FallibleProcessResult, _RuffRun(request.snapshot, ("check", "--fix")))
    return await FixResult.create(request, result, strip_chroot_path=True)


@rule(desc="Lint with ruff", level=LogLevel.DEBUG)
async def ruff_check(request: RuffCheckRequest.Batch[RuffFieldSet, Any]) -> LintResult:
    sources = await Get(
        SourceFiles, SourceFilesRequest(field_set.source for field_set in request.elements)
    )
    result = await Get(FallibleProcessResult, _RuffRun(sources.snapshot, ("check",)))
    return LintResult.create(request, result, strip_chroot_path=True)


def rules() -> list[Any]:
    return [
        *collect_rules(),
        *RuffFormatRequest.rules(),
        *RuffCheckFixRequest.rules(),
        *RuffCheckRequest.rules(),
        *pex.rules(),
        *skip_field.rules(),
        *subsystem.rules(),
    ]

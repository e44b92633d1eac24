"""Errors of the policy package; each names where or why, never a bare failure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class PolicyError(Exception):
    """Base class of every error the policy package raises."""


@dataclass(frozen=True)
class Position:
    """A place in policy text: 0-based offset, 1-based line and column."""

    offset: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


class PolicySyntaxError(PolicyError):
    """Policy text that does not follow the grammar, with where it went wrong."""

    def __init__(self, message: str, position: Position) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{position}: {message}")


class AccessRequestError(PolicyError):
    """A subject, action or resource that is not of the ``type:id`` shape."""


@dataclass(frozen=True)
class InstallProblem:
    """One reason a plugin's policy cannot be installed."""

    policy: str
    message: str
    code: str = "POLICY_INSTALL_REJECTED"

    def __str__(self) -> str:
        return f"policy {self.policy!r}: {self.message}" if self.policy else self.message


class PolicyInstallError(PolicyError):
    """A plugin's policies were rejected; nothing was installed."""

    def __init__(self, plugin: str, problems: Iterable[InstallProblem]) -> None:
        self.plugin = plugin
        self.problems: tuple[InstallProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("PolicyInstallError needs at least one problem")
        lines = [f"plugin {plugin!r}: policies rejected:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(problem.message for problem in self.problems)

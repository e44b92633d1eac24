"""A strict, safe YAML loader for manifests.

It is PyYAML's SafeLoader with three changes a manifest needs: a key given twice is an
error (YAML would silently keep the last one), dates stay strings (and so cannot crash
construction), and any failure comes back as one :class:`YamlLoadError` with a position.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.scanner import ScannerError

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlLoadError(ValueError):
    """The text is not one well-formed YAML document."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}")


#: Deeper ``[``/``{`` nesting is refused while scanning: PyYAML slows down sharply on it.
MAX_FLOW_DEPTH = 64


class _StrictSafeLoader(yaml.SafeLoader):
    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise ScannerError(
                None,
                None,
                f"collections are nested more than {MAX_FLOW_DEPTH} deep",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(TokenClass)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _value in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: Node) -> str:
    assert isinstance(node, ScalarNode)
    return str(loader.construct_scalar(node))


# Dates stay strings: drop the implicit timestamp resolver, and build explicit ones as text.
_StrictSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictSafeLoader.add_constructor(_TIMESTAMP_TAG, _construct_timestamp_as_text)


def load_yaml_document(text: str) -> object:
    """Load exactly one YAML document (``None`` when the text holds none)."""
    loader: _StrictSafeLoader | None = None
    try:
        loader = _StrictSafeLoader(text)
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        if mark is None:
            raise YamlLoadError(message) from None
        raise YamlLoadError(message, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(str(exc).replace("\n", " ")) from None
    except RecursionError:
        raise YamlLoadError("the document is nested too deeply") from None
    except Exception as exc:
        # PyYAML's constructors are not total: an explicitly tagged scalar such as
        # `!!int ""` fails with IndexError, ValueError and the like. Untrusted text must
        # only ever produce a YAML error.
        raise YamlLoadError(f"a value cannot be constructed: {type(exc).__name__}: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()

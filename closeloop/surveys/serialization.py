"""Load and dump survey definitions as JSON or YAML, with errors that name the path and line."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml
from django.utils.translation import gettext as _
from pydantic import ValidationError

from closeloop.surveys.schema import DefinitionError, SurveyDefinition

__all__ = ["DefinitionError", "definition_from_data", "dump_definition", "load_definition"]

Format = Literal["json", "yaml"]
MAX_DEFINITION_CHARS = 2_000_000


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps, so `2024-01-31` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    """Readable YAML: multi-line strings as blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _path(loc: tuple[Any, ...], data: Any) -> tuple[str, list[str | int]]:
    """A dotted path from a pydantic location, skipping union tags that are not in the data."""
    parts: list[str | int] = []
    current = data
    for item in loc:
        in_list = isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current)
        in_dict = isinstance(current, dict) and isinstance(item, str) and item in current
        if in_list or in_dict:
            parts.append(item)
            current = current[item]
        elif not isinstance(current, dict) or not isinstance(item, str):
            break
        elif item != current.get("type") and item not in ("all", "any", "not", "leaf"):
            # A missing or unknown field (a union tag, the type name, is skipped instead).
            parts.append(item)
            break
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text, parts


def _line_map(text: str) -> dict[tuple[str | int, ...], int]:
    """The 1-based line of every mapping value and list item in a YAML (or JSON) text."""
    lines: dict[tuple[str | int, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return lines

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


def _line_for(parts: list[str | int], lines: dict[tuple[str | int, ...], int]) -> int | None:
    for end in range(len(parts), -1, -1):
        line = lines.get(tuple(parts[:end]))
        if line is not None:
            return line
    return None


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("[", ".[").split("."):
        if not chunk:
            continue
        if chunk.startswith("[") and chunk.endswith("]") and chunk[1:-1].isdigit():
            parts.append(int(chunk[1:-1]))
        else:
            parts.append(chunk)
    return parts


def _errors_from_validation(
    error: ValidationError, data: Any, source: str | None
) -> list[dict[str, Any]]:
    lines = _line_map(source) if source is not None else {}
    items: list[dict[str, Any]] = []
    for detail in error.errors(include_url=False):
        ctx = detail.get("ctx") or {}
        issues = ctx.get("issues") if detail.get("type") == "survey_definition" else None
        if issues:
            base, base_parts = _path(detail["loc"], data)
            for path, message in issues:
                full = f"{base}.{path}" if base and path else (path or base)
                parts = [*base_parts, *_split_path(path)]
                items.append({"path": full, "message": message, "line": _line_for(parts, lines)})
            continue
        path, parts = _path(detail["loc"], data)
        message = detail["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        items.append({"path": path, "message": message, "line": _line_for(parts, lines)})
    return items


def definition_from_data(data: Any, *, source: str | None = None) -> SurveyDefinition:
    """Validate already-parsed data (a dict from JSON, YAML or an API body)."""
    if not isinstance(data, dict):
        raise DefinitionError([{"path": "", "message": _("a survey definition must be a mapping")}])
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(_errors_from_validation(error, data, source)) from None


def load_definition(text: str, format: Format = "json") -> SurveyDefinition:
    """Parse and validate a definition written as JSON or YAML."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise DefinitionError([{"path": "", "message": _("the definition is too large")}])
    if format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                [{"path": "", "message": error.msg, "line": error.lineno, "column": error.colno}]
            ) from None
    elif format == "yaml":
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            raise DefinitionError(
                [
                    {
                        "path": "",
                        "message": str(problem),
                        "line": mark.line + 1 if mark is not None else None,
                        "column": mark.column + 1 if mark is not None else None,
                    }
                ]
            ) from None
    else:
        raise ValueError(f"unknown format {format!r}")
    return definition_from_data(data, source=text)


def definition_to_data(defn: SurveyDefinition) -> dict[str, Any]:
    """The definition as plain data, in field order, without empty optional fields."""
    return defn.model_dump(mode="json", by_alias=True, exclude_none=True)


def dump_definition(defn: SurveyDefinition, format: Format = "json") -> str:
    """The definition as JSON (indented) or readable YAML (field order kept, Unicode as is)."""
    data = definition_to_data(defn)
    if format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if format == "yaml":
        return yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
        )
    raise ValueError(f"unknown format {format!r}")

"""Load the YAML config and explain what is wrong in plain words, with line numbers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from wardeye.config.models import Config
from wardeye.core.errors import ConfigError

ENV_OVERRIDES = {
    "WARDEYE_DATABASE_URL": "database_url",
    "WARDEYE_SECRET_KEY": "secret_key",
    "WARDEYE_DATA_DIR": "data_dir",
}


class ConfigProblem:
    """One problem found in the config: where (YAML line) and what (plain words)."""

    def __init__(self, line: int | None, path: str, message: str) -> None:
        self.line = line
        self.path = path
        self.message = message

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "config"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InvalidConfig(ConfigError):
    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """Walk the composed YAML tree along a pydantic error location; return the deepest node."""
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if match is None:
                key_node = next(
                    (k for k, _ in node.value if getattr(k, "value", None) == key), None
                )
                return key_node or node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def _key_node(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """For 'extra field' errors point at the key itself rather than its value."""
    parent = _node_at(root, loc[:-1]) if loc else root
    if isinstance(parent, yaml.MappingNode):
        for k, _ in parent.value:
            if getattr(k, "value", None) == loc[-1]:
                return k  # type: ignore[no-any-return]
    return parent


def _plain(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown setting (check the spelling; see `wardeye check-config --schema`)"
    if kind == "missing":
        return "required setting is missing"
    msg = str(error.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    merged = dict(data)
    for var, field in ENV_OVERRIDES.items():
        if env.get(var):
            merged[field] = env[var]
    return merged


def parse_config(
    text: str, source: str = "<config>", env: Mapping[str, str] | None = None
) -> Config:
    """Parse YAML text into a Config; raise InvalidConfig listing every problem found."""
    env = os.environ if env is None else env
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = ConfigProblem(line, "", f"not valid YAML: {exc.problem}")
        raise InvalidConfig(source, [problem]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidConfig(source, [ConfigProblem(1, "", "the top level must be a mapping")])
    try:
        return Config.model_validate(_apply_env(data, env))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            node = _key_node(root, loc) if err["type"] == "extra_forbidden" else _node_at(root, loc)
            line = node.start_mark.line + 1 if node is not None else None
            path = ".".join(str(p) for p in loc)
            problems.append(ConfigProblem(line, path, _plain(err)))
        raise InvalidConfig(source, problems) from None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Load ``path`` (or defaults when None) with environment overrides applied."""
    if path is None:
        return parse_config("{}", "<defaults>", env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc}") from None
    return parse_config(text, str(path), env)

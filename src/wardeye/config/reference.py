"""Render the configuration reference (docs/configuration.md) from the models themselves,
so the documentation cannot drift from what the loader accepts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from wardeye.config.models import Config

HEADER = """# Configuration reference

One YAML file, validated strictly: unknown settings are errors, reported with their line number by
`wardeye check-config FILE`. `WARDEYE_CONFIG` names the file; `WARDEYE_DATABASE_URL`,
`WARDEYE_SECRET_KEY` and `WARDEYE_DATA_DIR` override what it says. Generated from
`wardeye.config.models` by `python -m wardeye.config.reference > docs/configuration.md`.

"""


def _default(info: Any) -> str:
    if info.default is not PydanticUndefined:
        value = info.default
    elif info.default_factory is not None:
        value = info.default_factory()
    else:
        return "required"
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"


def _nested(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested(arg)
        if found is not None:
            return found
    return None


def render(model: type[BaseModel] = Config, prefix: str = "") -> str:
    lines = [f"## `{prefix or 'top level'}`\n", "| setting | default | meaning |", "|---|---|---|"]
    children: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        lines.append(f"| `{name}` | {_default(info)} | {info.description} |")
        nested = _nested(info.annotation)
        if nested is not None and nested is not model:
            children.append((f"{prefix}.{name}" if prefix else name, nested))
    text = "\n".join(lines) + "\n\n"
    for child_prefix, child in children:
        text += render(child, child_prefix)
    return text


def document() -> str:
    return HEADER + render()


if __name__ == "__main__":
    print(document(), end="")

"""Shared CLI plumbing: load the config once, print domain errors as plain words."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from wardeye.app import WardEye
from wardeye.config import load_config
from wardeye.config.models import Config
from wardeye.core.errors import WardEyeError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    env = os.environ.get("WARDEYE_CONFIG")
    return Path(env) if env else None


def load(explicit: Path | None) -> Config:
    try:
        return load_config(config_path(explicit))
    except WardEyeError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@contextmanager
def opened(explicit: Path | None) -> Iterator[WardEye]:
    """A WardEye with a migrated catalog, for one CLI command; errors exit with status 1."""
    wardeye = WardEye(load(explicit))
    try:
        wardeye.prepare_catalog()
        yield wardeye
    except WardEyeError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        wardeye.stop()


ConfigOption = typer.Option(
    None, "--config", "-c", help="YAML config file (default: $WARDEYE_CONFIG, else built-in)."
)

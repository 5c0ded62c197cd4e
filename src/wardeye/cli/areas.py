"""`wardeye area …`: the administrative tree."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from wardeye.cli.context import ConfigOption, console, err_console, opened
from wardeye.registry.schemas import AreaCreate

app = typer.Typer(help="Provinces, districts, communes/wards, villages.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(help="Name exactly as written, diacritics included."),
    level: str = typer.Option(..., help="province, district, commune or village."),
    parent: int | None = typer.Option(None, help="Id of the enclosing area."),
    code: str | None = typer.Option(None, help="Official administrative code."),
    config: Path | None = ConfigOption,
) -> None:
    """Add an area."""
    try:
        data = AreaCreate(name=name, level=level, parent_id=parent, code=code)
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {exc.errors()[0]['msg']}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        view = wardeye.areas.create(data)
    console.print(f"added area {view.id}: {' › '.join(view.path)}")


@app.command("list")
def list_(config: Path | None = ConfigOption) -> None:
    """List every area with its path."""
    with opened(config) as wardeye:
        areas = wardeye.areas.list()
    table = Table("id", "level", "path")
    for a in areas:
        table.add_row(str(a.id), a.level, " › ".join(a.path))
    console.print(table)

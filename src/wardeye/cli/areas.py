"""`wardeye area …`: the administrative tree."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from wardeye.audit.records import AuditAction
from wardeye.cli.context import ConfigOption, console, err_console, opened
from wardeye.core.errors import WardEyeError
from wardeye.registry.area_import import AreaImporter, Division, find_province, national_list
from wardeye.registry.schemas import AreaCreate

app = typer.Typer(
    help="Provinces, communes/wards/special zones, villages (districts in older catalogs).",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: str = typer.Argument(help="Name exactly as written, diacritics included."),
    level: str = typer.Option(..., help="province, commune or village (district: pre-2025)."),
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
        view = wardeye.admin.create_area(wardeye.operator(), data)
    console.print(f"added area {view.id}: {' › '.join(view.path)}")


@app.command("list")
def list_(config: Path | None = ConfigOption) -> None:
    """List every area with its path."""
    with opened(config) as wardeye:
        areas = wardeye.areas.list()
    table = Table("id", "level", "type", "code", "path")
    for a in areas:
        table.add_row(str(a.id), a.level, a.division_type or "", a.code or "", " › ".join(a.path))
    console.print(table)


@app.command("import")
def import_(
    province: list[str] = typer.Option(
        [],
        "--province",
        "-p",
        help="Province or centrally-run city, by name (with or without 'Tỉnh'/'Thành phố', "
        "diacritics optional) or official code, e.g. 'Điện Biên' or 11. Repeatable.",
    ),
    all_: bool = typer.Option(False, "--all", help="Every province and city of the country."),
    config: Path | None = ConfigOption,
) -> None:
    """Create provinces and their communes, wards and special zones from the official 2025
    list (shipped with WardEye, no network needed), with codes and division types. Safe to
    run again: only what is missing is added."""
    if all_ == bool(province):
        err_console.print("[red]error:[/red] give --province NAME (one or more) or --all")
        raise typer.Exit(2)
    try:
        known = national_list()
        chosen = known if all_ else [find_province(p, known) for p in province]
    except WardEyeError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        importer = AreaImporter(wardeye.db)
        reports = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            for item in chosen:
                task = progress.add_task(item.name, total=len(item.communes))

                def advance(_commune: Division, task: TaskID = task) -> None:
                    progress.advance(task)

                report = importer.import_province(item, on_commune=advance)
                wardeye.access.record(
                    wardeye.operator(), AuditAction.AREA_CHANGE, object_type="area",
                    object_id=str(report.province_id),
                    detail={"op": "import", "province": item.name, "created": report.created},
                )  # fmt: skip
                reports.append(report)
    table = Table("province", "created", "completed", "already there")
    for r in reports:
        table.add_row(r.province, str(r.created), str(r.completed), str(r.unchanged))
    console.print(table)
    total = sum(r.created for r in reports)
    console.print(f"{total} areas created" if total else "nothing to add: already imported")

"""`wardeye camera …`: add, list, remove, enable/disable, bulk import. Changes go through the
access layer as the local operator, so they are checked and audited like the API's."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from wardeye.cli.context import ConfigOption, console, err_console, opened
from wardeye.registry.schemas import CameraCreate

app = typer.Typer(help="Register and manage cameras.", no_args_is_help=True)


def _explain(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}"
        if e["loc"]
        else str(e["msg"]).removeprefix("Value error, ")
        for e in exc.errors()
    )


@app.command("add")
def add(
    name: str = typer.Argument(help="Unique camera name."),
    url: str = typer.Option(..., "--url", help="Main stream URL (rtsp://user:pass@host/…)."),
    area: int = typer.Option(..., "--area", help="Area id (see `wardeye area list`)."),
    sub_url: str | None = typer.Option(None, "--sub-url", help="Sub stream URL."),
    kind: str = typer.Option("public", help="public or household."),
    consent: str | None = typer.Option(None, help="Household: registry, on_request or live."),
    owner: str | None = typer.Option(None, help="Household owner's name."),
    lat: float | None = typer.Option(None, help="Latitude."),
    lon: float | None = typer.Option(None, help="Longitude."),
    disabled: bool = typer.Option(False, "--disabled", help="Register without recording."),
    config: Path | None = ConfigOption,
) -> None:
    """Register one camera."""
    try:
        data = CameraCreate(
            name=name,
            main_url=url,
            sub_url=sub_url,
            area_id=area,
            kind=kind,
            consent_tier=consent,
            owner_name=owner,
            latitude=lat,
            longitude=lon,
            enabled=not disabled,
        )
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {_explain(exc)}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        view = wardeye.admin.create_camera(wardeye.operator(), data)
    console.print(f"added camera {view.id}: {view.name} ({view.main_url})")


@app.command("list")
def list_(
    area: int | None = typer.Option(None, "--area", help="Only this area and areas inside it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
    config: Path | None = ConfigOption,
) -> None:
    """List cameras (stream credentials are masked)."""
    with opened(config) as wardeye:
        cameras = wardeye.cameras.list(area_id=area)
    if as_json:
        console.print_json(json.dumps([c.model_dump(mode="json") for c in cameras]))
        return
    table = Table("id", "name", "area", "kind", "enabled", "main stream")
    for c in cameras:
        table.add_row(
            str(c.id), c.name, " › ".join(c.area_path), c.kind, "yes" if c.enabled else "no",
            c.main_url,
        )  # fmt: skip
    console.print(table)


@app.command("remove")
def remove(
    camera: str = typer.Argument(help="Camera name or id."),
    config: Path | None = ConfigOption,
) -> None:
    """Remove a camera that has no recorded footage (otherwise disable it)."""
    with opened(config) as wardeye:
        view = wardeye.cameras.find(camera)
        wardeye.admin.delete_camera(wardeye.operator(), view.id)
    console.print(f"removed camera {view.id}: {view.name}")


@app.command("disable")
def disable(camera: str, config: Path | None = ConfigOption) -> None:
    """Stop recording and showing a camera; its footage stays."""
    with opened(config) as wardeye:
        found = wardeye.cameras.find(camera)
        view = wardeye.admin.set_enabled(wardeye.operator(), found.id, False)
    console.print(f"disabled camera {view.id}: {view.name}")


@app.command("enable")
def enable(camera: str, config: Path | None = ConfigOption) -> None:
    """Record and show a camera again."""
    with opened(config) as wardeye:
        found = wardeye.cameras.find(camera)
        view = wardeye.admin.set_enabled(wardeye.operator(), found.id, True)
    console.print(f"enabled camera {view.id}: {view.name}")


@app.command("import")
def import_(
    csv_file: Path = typer.Argument(help="CSV with a header row: name,area,main_url,…"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing."),
    config: Path | None = ConfigOption,
) -> None:
    """Import many cameras at once. Every row is checked; nothing is written unless all pass.

    Columns: name, area (id or path 'Tỉnh/Huyện/Xã'), main_url, and optionally sub_url, kind,
    consent_tier, owner_name, owner_phone, latitude, longitude, enabled, retention_days,
    description."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        err_console.print(f"[red]error:[/red] cannot read {csv_file}: {exc}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        report = wardeye.admin.import_cameras(wardeye.operator(), text, dry_run)
    if report.errors:
        table = Table("row", "name", "problem", title="Nothing was imported")
        for e in report.errors:
            table.add_row(str(e.row), e.name, e.message)
        err_console.print(table)
        raise typer.Exit(1)
    if dry_run:
        console.print("all rows are valid (dry run: nothing written)")
    else:
        console.print(f"imported {len(report.imported)} cameras")


@app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
    config: Path | None = ConfigOption,
) -> None:
    """Health of every recorded stream as last reported by the recorder: state, fps, bitrate,
    last keyframe, last error."""
    from wardeye.core.clock import to_viewer, utc_now
    from wardeye.registry.health import reported_status

    with opened(config) as wardeye:
        rows = reported_status(wardeye.db)
    if as_json:
        console.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    if not rows:
        console.print("no status reported yet: is `wardeye run` recording?")
        return
    now = utc_now()
    table = Table("camera", "stream", "state", "fps", "kbit/s", "size", "last keyframe", "error")
    for r in rows:
        state = r.state + (" (stale: recorder silent)" if r.stale else "")
        keyframe = (
            f"{(now - r.last_keyframe_at).total_seconds():.0f} s ago" if r.last_keyframe_at else "-"
        )
        since = to_viewer(r.offline_since).strftime("%d/%m/%Y %H:%M") if r.offline_since else ""
        table.add_row(
            r.camera, r.stream, f"{state} {since}".strip(), f"{r.fps:.1f}",
            f"{r.bitrate_kbps:.0f}", f"{r.width}x{r.height}", keyframe, r.last_error or "",
        )  # fmt: skip
    console.print(table)

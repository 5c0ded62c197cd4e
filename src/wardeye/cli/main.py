"""Top-level commands: run, demo, check-config, migrate; sub-commands for cameras/areas/users."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import typer
import uvicorn

from wardeye.app import WardEye
from wardeye.catalog import migrate as migrations
from wardeye.cli import areas, audit, cameras, users
from wardeye.cli import onboarding as _onboarding  # noqa: F401  (adds probe/discover/onvif)
from wardeye.cli.context import ConfigOption, config_path, console, err_console, load
from wardeye.config.models import Config
from wardeye.core.errors import WardEyeError
from wardeye.demo import demo_config, find_media_dir, install_demo

app = typer.Typer(
    help="WardEye: community security cameras for local police.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cameras.app, name="camera")
app.add_typer(areas.app, name="area")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _serve(wardeye: WardEye, banner: str) -> None:
    server_config = wardeye.config.server
    server = uvicorn.Server(
        uvicorn.Config(
            wardeye.asgi(),
            host=server_config.host,
            port=server_config.port,
            log_level="warning",
            ws="websockets-sansio",
        )
    )
    try:
        wardeye.start_background()
        console.print(banner)
        server.run()
    finally:
        wardeye.stop()


@app.command()
def run(config: Path | None = ConfigOption, verbose: bool = False) -> None:
    """Record every enabled camera and serve the web app and API."""
    _logging(verbose)
    wardeye = WardEye(load(config))
    try:
        wardeye.prepare_catalog()
    except WardEyeError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    host, port = wardeye.config.server.host, wardeye.config.server.port
    _serve(wardeye, f"WardEye is running: open http://{host}:{port}/")


@app.command()
def demo(
    data_dir: Path | None = typer.Option(None, help="Keep the demo here (default: a temp dir)."),
    port: int = typer.Option(8080, help="Port of the web app."),
    cameras_count: int = typer.Option(4, "--cameras", min=1, max=32, help="Demo cameras."),
    config: Path | None = ConfigOption,
    verbose: bool = False,
) -> None:
    """Start WardEye with demo cameras playing real footage; no camera or network needed."""
    _logging(verbose)
    base = load(config) if config_path(config) else Config()
    data = data_dir or Path(tempfile.mkdtemp(prefix="wardeye-demo-"))
    cfg = base.model_copy(
        update={"data_dir": data, "server": base.server.model_copy(update={"port": port})}
    )
    wardeye = WardEye(demo_config(cfg))
    try:
        wardeye.prepare_catalog()
        login = install_demo(wardeye, find_media_dir(cfg.demo.media_dir), cameras_count)
    except WardEyeError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        wardeye.stop()
        raise typer.Exit(1) from None
    password = login.password or "(unchanged from the first run)"
    banner = (
        f"WardEye demo: data in {data}\n"
        f"Open http://{cfg.server.host}:{port}/ and log in as "
        f"[bold]{login.username}[/bold] / [bold]{password}[/bold]"
    )
    _serve(wardeye, banner)


@app.command("check-config")
def check_config(
    config_file: Path | None = typer.Argument(None, help="YAML file (default: $WARDEYE_CONFIG)."),
    schema: bool = typer.Option(False, "--schema", help="Print the JSON schema of the config."),
) -> None:
    """Validate a config file; every problem is reported with its line number."""
    if schema:
        console.print_json(json.dumps(Config.model_json_schema()))
        return
    target = config_path(config_file)
    if target is None:
        err_console.print("give a config file, or set WARDEYE_CONFIG")
        raise typer.Exit(2)
    cfg = load(target)
    console.print(f"{target}: OK (catalog: {_safe_url(cfg.resolved_database_url())})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="Target revision (default: head)."),
    downgrade: bool = typer.Option(False, "--downgrade", help="Go down to REVISION."),
    config: Path | None = ConfigOption,
) -> None:
    """Bring the catalog schema to a revision (upgrades are also applied at start)."""
    cfg = load(config)
    url = cfg.resolved_database_url()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    if downgrade:
        migrations.downgrade(url, revision)
    else:
        migrations.upgrade(url, revision)
    console.print(f"catalog {_safe_url(url)} is at revision {migrations.current(url)}")


def main() -> None:
    app()

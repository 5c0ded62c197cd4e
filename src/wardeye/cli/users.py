"""`wardeye user …`: accounts."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from wardeye.cli.context import ConfigOption, console, err_console, opened
from wardeye.registry.schemas import UserCreate

app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help="admin, investigator, officer, household or viewer."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="WARDEYE_PASSWORD",
        help="At least 8 characters (prompted if not given; or $WARDEYE_PASSWORD).",
    ),
    name: str = typer.Option("", help="Display name."),
    area: int | None = typer.Option(None, help="Limit the user to this area's subtree."),
    config: Path | None = ConfigOption,
) -> None:
    """Create a user."""
    try:
        data = UserCreate(
            username=username, password=password, role=role, display_name=name, area_id=area
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        err_console.print(f"[red]error:[/red] {err['loc'][0]}: {err['msg']}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        view = wardeye.users.add(data)
    console.print(f"added user {view.username} ({view.role})")

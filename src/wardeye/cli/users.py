"""`wardeye user …`: accounts."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from wardeye.app import WardEye
from wardeye.audit.records import AuditAction
from wardeye.cli.context import ConfigOption, console, err_console, opened
from wardeye.core.errors import NotFound
from wardeye.registry.schemas import ROLE_HELP, UserCreate, UserView
from wardeye.signin.services import SigninServices

app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help=ROLE_HELP),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="WARDEYE_PASSWORD",
        help="At least 8 characters (prompted if not given; or $WARDEYE_PASSWORD).",
    ),
    name: str = typer.Option("", help="Display name."),
    area: list[int] = typer.Option([], help="Bind the user to this area (repeat for more)."),
    config: Path | None = ConfigOption,
) -> None:
    """Create a user."""
    try:
        data = UserCreate(
            username=username, password=password, role=role, display_name=name, area_ids=area
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        err_console.print(f"[red]error:[/red] {err['loc'][0]}: {err['msg']}")
        raise typer.Exit(1) from None
    with opened(config) as wardeye:
        view = wardeye.admin.create_user(wardeye.operator(), data)
    console.print(f"added user {view.username} ({view.role})")


def _signin(wardeye: WardEye) -> SigninServices:
    """The site's sign-in stores (stateless over the catalog, so building them here is the
    same as using the server's)."""
    return SigninServices.build(wardeye.db, wardeye.config.signin, wardeye.config.site_name)


def _user(wardeye: WardEye, username: str) -> UserView:
    user = wardeye.users.find(username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return wardeye.admin.user(wardeye.operator(), user.id)


@app.command("unlock")
def unlock(
    username: str | None = typer.Argument(None, help="Account whose lockout to lift."),
    address: str | None = typer.Option(None, help="Lift a client address's lockout instead."),
    config: Path | None = ConfigOption,
) -> None:
    """Lift a sign-in lockout (and forget the failed sign-ins) of an account or an address."""
    if (username is None) == (address is None):
        err_console.print("[red]error:[/red] give an account name or --address, not both")
        raise typer.Exit(2)
    with opened(config) as wardeye:
        signin, operator = _signin(wardeye), wardeye.operator()
        if address is not None:
            was = signin.throttle.unlock_address(address)
            wardeye.access.record(operator, AuditAction.UNLOCK, object_type="client_address",
                                  object_id=address[:64], detail={"was_locked": was})  # fmt: skip
            console.print(f"address {address}: " + ("unlocked" if was else "was not throttled"))
            return
        assert username is not None
        user = _user(wardeye, username)
        was = signin.throttle.unlock_account(user.username)
        wardeye.access.record(operator, AuditAction.UNLOCK, object_type="user",
                              object_id=str(user.id),
                              detail={"username": user.username, "was_locked": was})  # fmt: skip
    console.print(f"{user.username}: " + ("unlocked" if was else "was not throttled"))


@app.command("revoke-sessions")
def revoke_sessions(
    username: str | None = typer.Argument(None, help="Sign this user out everywhere."),
    everyone: bool = typer.Option(False, "--all", help="Sign every user out."),
    config: Path | None = ConfigOption,
) -> None:
    """End sessions at once: one user's, or everyone's with --all."""
    if (username is None) == (not everyone):
        err_console.print("[red]error:[/red] give a user name or --all")
        raise typer.Exit(2)
    with opened(config) as wardeye:
        signin, operator = _signin(wardeye), wardeye.operator()
        if everyone:
            revoked = signin.sessions.revoke_all("revoked")
            wardeye.access.record(operator, AuditAction.SESSION_REVOKE, object_type="site",
                                  object_id="all", detail={"revoked": revoked})  # fmt: skip
        else:
            assert username is not None
            user = _user(wardeye, username)
            revoked = signin.sessions.revoke_user(user.id, "revoked")
            wardeye.access.record(operator, AuditAction.SESSION_REVOKE, object_type="user",
                                  object_id=str(user.id), detail={"revoked": revoked})  # fmt: skip
    console.print(f"ended {revoked} session(s)")


@app.command("reset-totp")
def reset_totp(username: str, config: Path | None = ConfigOption) -> None:
    """Remove a user's second factor (a lost phone); they set up a new one at next sign-in."""
    with opened(config) as wardeye:
        user = _user(wardeye, username)
        removed = _signin(wardeye).second_factor.remove(user.id)
        wardeye.access.record(wardeye.operator(), AuditAction.USER_CHANGE, object_type="user",
                              object_id=str(user.id),
                              detail={"op": "totp_reset", "removed": removed})  # fmt: skip
    console.print(f"{user.username}: " + ("second factor removed" if removed else "had none"))

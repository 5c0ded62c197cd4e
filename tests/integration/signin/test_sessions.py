"""Server-side sessions: signing out makes the old cookie worthless, sessions end when idle
and after an absolute lifetime, and admins end one user's or everyone's sessions (API and CLI),
all audited. Only the SHA-256 of the cookie's id is in the catalog."""

from __future__ import annotations

import hashlib
import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import PASSWORD, SiteFactory
from wardeye.catalog.models import SigninSession
from wardeye.cli.main import app as cli
from wardeye.registry.schemas import UserUpdate
from wardeye.signin.sessions import SESSION_COOKIE


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value
    return value


def _with_cookie(client: TestClient, value: str) -> TestClient:
    """Another client (an attacker who copied the cookie) presenting ``value``."""
    copy = TestClient(client.app, base_url="http://testserver",
                      headers={"origin": "http://testserver"})  # fmt: skip
    copy.cookies.set(SESSION_COOKIE, value)
    return copy


def test_logout_makes_the_old_cookie_useless(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("an")
    client = site.login("an")
    cookie = _cookie(client)
    with site.wardeye.db.session() as session:
        stored = session.scalars(select(SigninSession.token_hash)).all()
    assert stored == [hashlib.sha256(cookie.encode()).hexdigest()]  # the id itself is not kept
    assert _with_cookie(client, cookie).get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    assert client.cookies.get(SESSION_COOKIE) is None
    assert _with_cookie(client, cookie).get("/api/auth/me").status_code == 401
    assert [e.username for e in site.audit("sign_out")] == ["an"]


def test_web_logout_ends_the_session_too(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("binh")
    client = site.client()
    page = client.post("/login", data={"username": "binh", "password": PASSWORD},
                       follow_redirects=False)  # fmt: skip
    assert page.status_code == 303 and page.headers["location"] == "/"
    cookie = _cookie(client)
    assert _with_cookie(client, cookie).get("/api/auth/me").status_code == 200
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert _with_cookie(client, cookie).get("/api/auth/me").status_code == 401


def test_idle_expiry(make_site: SiteFactory) -> None:
    site = make_site(session_idle_seconds=1.5)
    site.user("chi")
    busy, idle = site.login("chi"), site.login("chi")
    for _ in range(4):  # used every 0.6 s: stays alive past the idle limit
        time.sleep(0.6)
        assert busy.get("/api/auth/me").status_code == 200
    assert idle.get("/api/auth/me").status_code == 401
    assert busy.get("/api/auth/me").status_code == 200


def test_absolute_expiry(make_site: SiteFactory) -> None:
    """Timing holds on a busy machine: requests well inside the lifetime must pass, and one
    made after it must fail, whatever the machine's speed in between."""
    lifetime = 4.0
    site = make_site(session_absolute_seconds=lifetime)
    site.user("dung")
    signed_in = time.monotonic()
    client = site.login("dung")
    while time.monotonic() - signed_in < lifetime / 2:
        assert client.get("/api/auth/me").status_code == 200
        time.sleep(0.3)
    time.sleep(max(0.0, signed_in + lifetime + 0.5 - time.monotonic()))
    assert client.get("/api/auth/me").status_code == 401  # busy, but signed in too long ago


def test_admin_revokes_one_users_sessions_and_everyones(make_site: SiteFactory) -> None:
    site = make_site()
    target = site.user("em")
    other = site.user("phuong")
    outsider = site.user("ngoai", areas=[site.other_area])
    site.user("admin-xa", role="admin")  # bound to the commune
    site.user("admin-tinh", role="admin", areas=[])  # every area
    phones = [site.login("em"), site.login("em", address="10.0.0.7")]
    bystander, far = site.login("phuong"), site.login("ngoai")
    admin = site.login("admin-xa")
    listed = admin.get(f"/api/users/{target.id}/sessions").json()
    assert len(listed) == 2 and {s["client_address"] for s in listed} == {"10.0.0.1", "10.0.0.7"}
    assert admin.delete(f"/api/users/{outsider.id}/sessions").status_code == 404
    answer = admin.delete(f"/api/users/{target.id}/sessions")
    assert answer.status_code == 200 and answer.json() == {"revoked": 2}
    assert [p.get("/api/auth/me").status_code for p in phones] == [401, 401]
    assert bystander.get("/api/auth/me").status_code == 200
    assert admin.delete("/api/sessions").status_code == 403  # bound to an area: not everyone's
    assert bystander.get("/api/auth/me").status_code == 200
    top = site.login("admin-tinh")
    answer = top.delete("/api/sessions")
    assert answer.status_code == 200 and answer.json()["revoked"] == 4
    for client in (bystander, far, admin, top):
        assert client.get("/api/auth/me").status_code == 401
    revokes = [(e.username, e.object_type, e.result) for e in site.audit("session_revoke")]
    assert revokes == [("admin-xa", "user", "ok"), ("admin-tinh", "site", "ok")]
    assert other.id != target.id


def test_own_sessions_listed_and_one_ended(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("giang")
    laptop, phone = site.login("giang"), site.login("giang", address="10.0.0.9")
    mine = laptop.get("/api/account/sessions").json()
    assert len(mine) == 2 and [s["current"] for s in mine].count(True) == 1
    phone_id = next(s["id"] for s in mine if not s["current"])
    assert laptop.delete(f"/api/account/sessions/{phone_id}").status_code == 204
    assert phone.get("/api/auth/me").status_code == 401
    assert laptop.get("/api/auth/me").status_code == 200


def test_cli_revokes_sessions(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("hai")
    site.user("hung")
    hai, hung = site.login("hai"), site.login("hung")
    config = site.wardeye.config.data_dir.parent / "wardeye.yaml"
    config.write_text(f"data_dir: {site.wardeye.config.data_dir}\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "revoke-sessions", "hai", "-c", str(config)])
    assert result.exit_code == 0 and "ended 1 session" in result.output, result.output
    assert hai.get("/api/auth/me").status_code == 401
    assert hung.get("/api/auth/me").status_code == 200
    result = runner.invoke(cli, ["user", "revoke-sessions", "--all", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert hung.get("/api/auth/me").status_code == 401
    assert runner.invoke(cli, ["user", "revoke-sessions", "-c", str(config)]).exit_code == 2


def test_a_disabled_account_loses_its_session_at_once(make_site: SiteFactory) -> None:
    site = make_site()
    user = site.user("khanh")
    client = site.login("khanh")
    site.wardeye.users.update(user.id, UserUpdate(active=False))
    assert client.get("/api/auth/me").status_code == 401
    site.signin.revoke_user(user.id)  # what Administration calls on disable / new password
    site.wardeye.users.update(user.id, UserUpdate(active=True))
    assert client.get("/api/auth/me").status_code == 401  # re-enabling does not revive it

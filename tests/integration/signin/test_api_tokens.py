"""API tokens: made by a user for themselves (or by an admin for someone in their areas),
scoped to a subset of the role's permissions, expiring, stored as a SHA-256, shown once,
listed, revocable, audited. ``Authorization: Bearer`` needs no cookie and no Origin."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import Site, SiteFactory
from wardeye.catalog.models import ApiToken
from wardeye.core.clock import utc_now
from wardeye.registry.schemas import UserUpdate


def _later(seconds: float = 86400.0) -> str:
    return (utc_now() + timedelta(seconds=seconds)).isoformat()


def _token(client: TestClient, scopes: list[str], path: str = "/api/account/tokens",
           seconds: float = 86400.0) -> dict[str, object]:  # fmt: skip
    answer = client.post(path, json={"name": "tích hợp", "scopes": scopes,
                                     "expires_at": _later(seconds)})  # fmt: skip
    assert answer.status_code == 201, answer.text
    created: dict[str, object] = answer.json()
    return created


def _bearer(site: Site, secret: object) -> TestClient:
    """An integration: no cookie, no Origin header."""
    return TestClient(site.app, base_url="http://testserver",
                      headers={"authorization": f"Bearer {secret}"})  # fmt: skip


def test_scopes_narrow_what_the_token_may_do(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    created = _token(admin, ["view_map"])
    token = created["token"]
    assert isinstance(token, dict) and token["scopes"] == ["view_map"]
    reader = _bearer(site, created["secret"])
    assert reader.get("/api/cameras").status_code == 200
    assert reader.get("/api/auth/me").json()["username"] == "admin-xa"
    assert reader.get("/api/users").status_code == 403  # the role may, the token may not
    assert admin.get("/api/users").status_code == 200
    body = {"name": "Cổng chợ", "area_id": site.area, "main_url": "rtsp://127.0.0.1:9/x",
            "enabled": False}  # fmt: skip
    assert reader.post("/api/cameras", json=body).status_code == 403
    writer = _bearer(site, _token(admin, ["manage_cameras"])["secret"])
    assert writer.post("/api/cameras", json=body).status_code == 201  # no cookie, no Origin


def test_scopes_beyond_the_role_are_refused(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("canh-sat")
    officer = site.login("canh-sat")
    answer = officer.post("/api/account/tokens", json={
        "name": "x", "scopes": ["view_live", "manage_users"], "expires_at": _later()})  # fmt: skip
    assert answer.status_code == 403 and "manage_users" in answer.json()["detail"]
    answer = officer.post("/api/account/tokens", json={
        "name": "x", "scopes": ["view_live"], "expires_at": _later(400 * 86400)})  # fmt: skip
    assert answer.status_code == 422  # longer than signin.token_max_days
    answer = officer.post("/api/account/tokens", json={
        "name": "x", "scopes": ["no_such_right"], "expires_at": _later()})  # fmt: skip
    assert answer.status_code == 422


def test_expired_and_revoked_tokens_fail(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("canh-sat")
    officer = site.login("canh-sat")
    short = _bearer(site, _token(officer, ["view_live"], seconds=1.5)["secret"])
    assert short.get("/api/auth/me").status_code == 200
    time.sleep(2.0)
    assert short.get("/api/auth/me").status_code == 401
    created = _token(officer, ["view_live"])
    token = created["token"]
    assert isinstance(token, dict)
    kept = _bearer(site, created["secret"])
    assert kept.get("/api/auth/me").status_code == 200
    revoked = officer.delete(f"/api/account/tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert kept.get("/api/auth/me").status_code == 401
    listed = officer.get("/api/account/tokens").json()
    assert [t["active"] for t in listed] == [False, False]
    assert all("secret" not in t for t in listed)
    assert _bearer(site, "wdy_not-a-token").get("/api/auth/me").status_code == 401


def test_tokens_are_stored_hashed_and_cannot_mint_tokens(make_site: SiteFactory) -> None:
    site = make_site()
    user = site.user("canh-sat")
    officer = site.login("canh-sat")
    created = _token(officer, ["view_live", "view_recorded"])
    secret = str(created["secret"])
    assert secret.startswith("wdy_") and len(secret) >= 40
    with site.wardeye.db.session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.name, row.scopes, row.token_hash)
    holder = _bearer(site, secret)
    wider = {"name": "wider", "scopes": ["view_live"], "expires_at": _later()}
    assert holder.post("/api/account/tokens", json=wider).status_code == 403
    assert holder.post("/api/account/totp").status_code == 403
    site.wardeye.users.update(user.id, UserUpdate(active=False))
    assert holder.get("/api/auth/me").status_code == 401  # the user is re-read every time


def test_admin_makes_tokens_for_users_in_their_areas(make_site: SiteFactory) -> None:
    site = make_site()
    officer = site.user("canh-sat")
    investigator = site.user("dieu-tra", role="investigator")
    outsider = site.user("ngoai", areas=[site.other_area])
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    created = _token(admin, ["view_live"], path=f"/api/users/{officer.id}/tokens")
    assert _bearer(site, created["secret"]).get("/api/auth/me").json()["id"] == officer.id
    answer = admin.post(f"/api/users/{outsider.id}/tokens", json={
        "name": "x", "scopes": ["view_live"], "expires_at": _later()})  # fmt: skip
    assert answer.status_code == 404
    answer = admin.post(f"/api/users/{investigator.id}/tokens", json={
        "name": "x", "scopes": ["export"], "expires_at": _later()})  # fmt: skip
    assert answer.status_code == 403  # the admin cannot hand out a right they lack
    listed = admin.get(f"/api/users/{officer.id}/tokens").json()
    assert len(listed) == 1 and listed[0]["created_by"] != officer.id
    token = created["token"]
    assert isinstance(token, dict)
    assert admin.delete(f"/api/users/{officer.id}/tokens/{token['id']}").status_code == 200
    changes = [(e.username, e.object_type, e.detail) for e in site.audit("token_change")]
    assert [c[0] for c in changes] == ["admin-xa", "admin-xa"]
    assert '"create"' in changes[0][2] and '"revoke"' in changes[1][2]

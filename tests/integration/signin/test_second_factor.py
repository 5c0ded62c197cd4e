"""TOTP second factor: enrolment at first sign-in for roles that must have one, password then
code (API and web page, both languages), replayed or wrong codes refused and throttled, the
secret encrypted at rest and never shown again, optional for other roles, reset by an admin.
Codes are computed here from the secret the server showed, as an authenticator app would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from conftest import PASSWORD, Site, SiteFactory
from wardeye.core.clock import utc_now
from wardeye.signin import totp


def code(secret: str, offset: int = 0) -> str:
    """The code for the current 30 s step (+ ``offset`` steps: the server takes ±1)."""
    return totp.hotp(totp.from_base32(secret), totp.step_at(utc_now()) + offset)


def _password(client: TestClient, username: str) -> dict[str, object]:
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def wrong_code(secret: str) -> str:
    """A code no step near now has."""
    near = {code(secret, offset) for offset in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555")
                if c not in near)  # fmt: skip


def _enrol(site: Site, username: str) -> tuple[TestClient, str, str]:
    """Signs in with enrolment; returns the client, the secret and the code used."""
    client = site.client()
    assert _password(client, username) == {"status": "enrolment_required", "user": None}
    assert client.get("/api/auth/me").status_code == 401  # half-way is not signed in
    enrolment = client.post("/api/auth/totp/enrol").json()
    assert enrolment["uri"].startswith("otpauth://totp/")
    assert f"secret={enrolment['secret']}" in enrolment["uri"]
    first = code(enrolment["secret"])
    answer = client.post("/api/auth/totp", json={"code": first})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "signed_in"
    return client, enrolment["secret"], first


def test_role_that_can_export_enrols_then_signs_in_with_a_code(make_site: SiteFactory) -> None:
    site = make_site()
    user = site.user("dieu-tra", role="investigator")
    client, secret, used = _enrol(site, "dieu-tra")
    assert client.get("/api/auth/me").json()["username"] == "dieu-tra"
    assert client.post("/api/auth/logout").status_code == 204

    again = site.client()
    assert _password(again, "dieu-tra") == {"status": "second_factor_required", "user": None}
    assert again.get("/api/auth/me").status_code == 401
    wrong = again.post("/api/auth/totp", json={"code": wrong_code(secret)})
    assert wrong.status_code == 401
    replay = again.post("/api/auth/totp", json={"code": used})  # seen over a shoulder
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    answer = again.post("/api/auth/totp", json={"code": code(secret, +1)})
    assert answer.status_code == 200 and answer.json()["user"]["id"] == user.id
    assert again.get("/api/auth/me").status_code == 200
    outcomes = [(e.result, e.detail) for e in site.audit("sign_in")]
    assert sum(r == "ok" for r, _ in outcomes) == 2
    assert all('"totp"' in d for r, d in outcomes if r == "ok")
    assert sum(r == "failed" for r, _ in outcomes) >= 1


def test_secret_is_encrypted_at_rest_and_never_shown_again(make_site: SiteFactory) -> None:
    site = make_site()
    user = site.user("chi-huy", role="commander")
    client, secret, _ = _enrol(site, "chi-huy")
    with site.wardeye.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret FROM user_totp WHERE user_id = :u"),
                              {"u": user.id}).scalar_one()  # fmt: skip
    assert secret not in stored and stored.startswith("enc1:")
    assert client.post("/api/auth/totp/enrol").status_code == 401  # no enrolment under way
    assert client.post("/api/account/totp").status_code == 409  # already set up
    status = client.get("/api/account/totp").json()
    assert status == {"enabled": True, "required": True}
    assert secret not in client.get("/api/account/sessions").text


def test_the_code_step_is_throttled_like_passwords(make_site: SiteFactory) -> None:
    site = make_site(free_failures=3, delay_base_seconds=30, lockout_failures=50)
    site.user("dieu-tra-2", role="investigator")
    _, secret, _ = _enrol(site, "dieu-tra-2")
    client = site.client("10.0.5.5")
    assert _password(client, "dieu-tra-2")["status"] == "second_factor_required"
    wrong = wrong_code(secret)
    statuses = [client.post("/api/auth/totp", json={"code": wrong}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    answer = client.post("/api/auth/totp", json={"code": code(secret, +1)})
    assert answer.status_code == 429  # even the right code waits: it is not even checked


def test_roles_without_export_may_turn_it_on_and_off(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("canh-sat")  # officer: optional
    client = site.login("canh-sat")
    assert client.get("/api/account/totp").json() == {"enabled": False, "required": False}
    secret = client.post("/api/account/totp").json()["secret"]
    assert client.post("/api/account/totp/confirm", json={"code": "12345"}).status_code == 422
    confirmed = client.post("/api/account/totp/confirm", json={"code": code(secret)})
    assert confirmed.json() == {"enabled": True, "required": False}
    assert _password(site.client(), "canh-sat")["status"] == "second_factor_required"
    removed = client.post("/api/account/totp/remove", json={"code": code(secret, +1)})
    assert removed.status_code == 200 and removed.json()["enabled"] is False
    site.login("canh-sat")  # straight in again
    ops = [e.detail for e in site.audit("user_change")]
    assert any("totp_enrol" in d for d in ops) and any("totp_remove" in d for d in ops)


def test_required_factor_cannot_be_removed_but_an_admin_can_reset_it(
    make_site: SiteFactory,
) -> None:
    site = make_site()
    user = site.user("dieu-tra-3", role="investigator")
    client, secret, _ = _enrol(site, "dieu-tra-3")
    refused = client.post("/api/account/totp/remove", json={"code": code(secret, +1)})
    assert refused.status_code == 403
    site.user("admin-xa", role="admin")
    admin = site.login("admin-xa")
    answer = admin.delete(f"/api/users/{user.id}/totp")
    assert answer.status_code == 200 and answer.json() == {"enabled": False, "required": True}
    assert _password(site.client(), "dieu-tra-3")["status"] == "enrolment_required"


def test_policy_can_make_it_optional_or_everyones(make_site: SiteFactory) -> None:
    relaxed = make_site(second_factor="optional")
    relaxed.user("dieu-tra", role="investigator")
    relaxed.login("dieu-tra")
    strict = make_site(second_factor="everyone")
    strict.user("xem", role="viewer")
    assert _password(strict.client(), "xem")["status"] == "enrolment_required"


def _secret_on_page(html: str) -> str:
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert found, html
    return found.group(1).replace(" ", "")


def test_web_login_page_handles_both_steps_in_both_languages(make_site: SiteFactory) -> None:
    site = make_site()
    site.user("dieu-tra-web", role="investigator")
    client = site.client()
    form = {"username": "dieu-tra-web", "password": PASSWORD}
    first = client.post("/login", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    page = client.get("/login?lang=vi")
    assert "Cài đặt xác thực hai lớp" in page.text and 'name="code"' in page.text
    secret = _secret_on_page(page.text)
    assert _secret_on_page(client.get("/login").text) == secret  # a reload shows the same one
    done = client.post("/login", data={"step": "enrol", "code": code(secret)},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert client.get("/api/auth/me").status_code == 200
    client.post("/logout")

    english = site.client()
    english.cookies.set("lang", "en")
    english.post("/login", data=form)
    page = english.get("/login")
    assert "Verification code" in page.text and "otpauth" not in page.text
    wrong = english.post("/login", data={"step": "code", "code": "12345"})
    assert wrong.status_code == 401 and "Wrong or already used code" in wrong.text
    done = english.post("/login", data={"step": "code", "code": code(secret, +1)},
                        follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_web_login_shows_the_wait_when_throttled(make_site: SiteFactory) -> None:
    site = make_site(free_failures=1, delay_base_seconds=30)
    client = site.client()
    client.post("/login", data={"username": "ai", "password": "sai mật khẩu"})
    page = client.post("/login?lang=en", data={"username": "ai", "password": "sai mật khẩu"})
    assert page.status_code == 429 and page.headers["retry-after"] == "30"
    assert "try again in 30 seconds" in page.text

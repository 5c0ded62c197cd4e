"""Guessing passwords: slowed per account name and per client address (429 + Retry-After,
password not even checked), then locked out (audited); an admin can lift it; the right
password works once the lockout has run out. Unknown names are treated exactly like real
ones. Short windows are configured so the real code paths run in seconds."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import PASSWORD, Site, SiteFactory
from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.cli.main import app as cli
from wardeye.config.models import SigninConfig
from wardeye.signin.services import SigninServices
from wardeye.signin.throttle import Throttle

FAST = {"free_failures": 5, "delay_base_seconds": 0.05, "max_delay_seconds": 0.2,
        "lockout_failures": 20, "lockout_seconds": 2.0}  # fmt: skip
WAIT = 0.25  # a little more than max_delay_seconds


def _try(client: TestClient, username: str, password: str = "wrong password!") -> tuple[int, str]:
    answer = client.post("/api/auth/login", json={"username": username, "password": password})
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) >= 1
    return answer.status_code, answer.json().get("detail", "")


def _hammer(client: TestClient, names: list[str]) -> list[int]:
    """50 wrong passwords (one per name in ``names``), waiting out each growing delay the
    way a patient guesser would, until the lockout; returns the statuses in order."""
    statuses = []
    for name in names:
        status, detail = _try(client, name)
        statuses.append(status)
        if status == 429 and "locked" not in detail:
            time.sleep(WAIT)
    return statuses


def _check_pattern(statuses: list[int]) -> None:
    checked = statuses.count(401)
    assert statuses[:5] == [401] * 5  # the free failures
    assert checked == FAST["lockout_failures"]  # then waits, then the lockout: no more checks
    assert statuses.count(429) == 50 - checked
    last_checked = max(i for i, s in enumerate(statuses) if s == 401)
    assert all(s == 429 for s in statuses[last_checked + 1 :])


def test_fifty_wrong_passwords_for_one_account(make_site: SiteFactory) -> None:
    site = make_site(**FAST)
    site.user("lan")
    client = site.client("10.0.0.1")
    for _ in range(5):
        assert _try(client, "lan")[0] == 401
    # At once after the fifth failure: refused without looking at the password, even the
    # right one, with a Retry-After.
    answer = client.post("/api/auth/login", json={"username": "lan", "password": PASSWORD})
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    time.sleep(WAIT)
    statuses = [401] * 5 + _hammer(client, ["lan"] * 45)
    _check_pattern(statuses)
    # The lockout holds from any address, for the right password too.
    status, detail = _try(site.client("10.9.9.9"), "lan", PASSWORD)
    assert status == 429 and "locked" in detail
    lockouts = {(e.object_type, e.object_id) for e in site.audit("lockout")}
    assert lockouts == {("user", "lan"), ("client_address", "10.0.0.1")}  # both counts ran out
    failed = site.audit("sign_in")
    assert len([e for e in failed if e.result == "failed"]) == FAST["lockout_failures"]
    time.sleep(FAST["lockout_seconds"])
    assert site.login("lan").get("/api/auth/me").json()["username"] == "lan"
    assert site.signin.throttle.state("lan").failures == 0  # a sign-in clears the account


def test_fifty_wrong_passwords_from_one_address(make_site: SiteFactory) -> None:
    site = make_site(**FAST)
    site.user("hoa")
    guesser = site.client("10.0.0.66")
    statuses = _hammer(guesser, [f"nguoi-{i}" for i in range(50)])  # a new name each time
    _check_pattern(statuses)
    lockouts = site.audit("lockout")
    assert [(e.object_type, e.object_id) for e in lockouts] == [("client_address", "10.0.0.66")]
    # Locked for everyone at that address, right password or not; other addresses are fine.
    assert _try(site.client("10.0.0.66"), "hoa", PASSWORD)[0] == 429
    site.login("hoa", address="10.0.0.2")
    time.sleep(FAST["lockout_seconds"])
    site.login("hoa", address="10.0.0.66")


def test_unknown_names_get_the_same_answers_as_real_accounts(make_site: SiteFactory) -> None:
    site = make_site(**FAST)
    site.user("thanh")
    answers = {}
    for name, address in (("thanh", "10.0.1.1"), ("khong-co-ai", "10.0.1.2")):
        client = site.client(address)
        answers[name] = [_try(client, name) for _ in range(7)]
    assert answers["thanh"] == answers["khong-co-ai"]
    assert answers["thanh"][0] == (401, "wrong username or password")
    assert [s for s, _ in answers["thanh"]][5:] == [429, 429]


def test_unknown_names_cost_the_same_time(make_site: SiteFactory) -> None:
    """The password of a name that has no account is still hashed: the fastest of several
    answers for an unknown name is not much faster than for a wrong password."""
    site = make_site(free_failures=1000, lockout_failures=1000)
    site.user("minh")
    client = site.client()
    timings: dict[str, list[float]] = {"minh": [], "ai-do": []}
    for _ in range(8):
        for name, spent in timings.items():
            started = time.perf_counter()
            assert _try(client, name)[0] == 401
            spent.append(time.perf_counter() - started)
    known, unknown = min(timings["minh"]), min(timings["ai-do"])
    assert 0.5 < unknown / known < 2.0, (known, unknown, statistics.median(timings["ai-do"]))


def _lock(site: Site, username: str, address: str) -> None:
    client = site.client(address)
    for _ in range(site.signin.config.lockout_failures):
        assert _try(client, username)[0] == 401
    assert "locked" in _try(client, username, PASSWORD)[1]


def test_admin_unlocks_over_the_api_and_it_is_audited(make_site: SiteFactory) -> None:
    site = make_site(free_failures=3, lockout_failures=3, lockout_seconds=600)
    target = site.user("tuan")
    outsider = site.user("ngoai", areas=[site.other_area])
    site.user("admin-xa", role="admin")
    _lock(site, "tuan", "10.0.2.1")
    admin = site.login("admin-xa", address="10.0.2.9")
    state = admin.get(f"/api/users/{target.id}/lockout").json()
    assert state["locked"] is True and state["failures"] == 3
    assert admin.post(f"/api/users/{outsider.id}/unlock").status_code == 404  # not theirs
    officer = site.login("ngoai", address="10.0.2.8")
    assert officer.post(f"/api/users/{target.id}/unlock").status_code == 403
    answer = admin.post(f"/api/users/{target.id}/unlock")
    assert answer.status_code == 200, answer.text
    assert answer.json()["locked"] is False
    unlocks = site.audit("unlock")
    assert [(e.username, e.object_id, e.result) for e in unlocks] == [
        ("admin-xa", str(target.id), "ok")
    ]
    site.login("tuan", address="10.0.2.3")  # another address: the account lock is gone


def test_cli_unlocks_an_account_and_an_address(make_site: SiteFactory) -> None:
    site = make_site(free_failures=3, lockout_failures=3, lockout_seconds=600)
    site.user("binh")
    _lock(site, "binh", "10.0.3.1")
    config = site.wardeye.config.data_dir.parent / "wardeye.yaml"
    config.write_text(
        f"data_dir: {site.wardeye.config.data_dir}\n"
        "signin:\n  free_failures: 3\n  lockout_failures: 3\n  lockout_seconds: 600\n"
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "unlock", "binh", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "binh: unlocked" in result.output
    assert _try(site.client("10.0.3.2"), "binh", PASSWORD)[0] == 200
    # The address is still locked (its own count); the CLI lifts that too.
    assert _try(site.client("10.0.3.1"), "binh", PASSWORD)[0] == 429
    result = runner.invoke(cli, ["user", "unlock", "--address", "10.0.3.1", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert _try(site.client("10.0.3.1"), "binh", PASSWORD)[0] == 200
    assert [e.object_type for e in site.audit("unlock")] == ["user", "client_address"]
    assert all(e.username and e.username.startswith("cli:") for e in site.audit("unlock"))


def test_counts_are_shared_by_processes_on_one_catalog(make_site: SiteFactory) -> None:
    """A second process (its own engine and stores) on the same catalog sees the first
    one's failures, and they survive it being restarted."""
    site = make_site(**FAST)
    site.user("cuong")
    for _ in range(5):
        assert _try(site.client("10.0.4.1"), "cuong")[0] == 401
    other = Throttle(_reopened(site), SigninConfig(**FAST))
    refusal = other.admit("Cuong", "10.0.4.2")  # same name as a person reads it
    assert refusal is not None and not refusal.locked
    assert other.state("cuong").failures == 5


def _reopened(site: Site) -> Database:
    config = site.wardeye.config
    return Database(config.resolved_database_url(), config.data_dir)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    url: str = request.getfixturevalue("postgresql_db_url")
    return url


def test_parallel_tries_are_all_counted_and_held_back(catalog_url: str) -> None:
    """Failures sent at once from many threads are all counted (row locks on PostgreSQL, the
    write lock taken first on SQLite), and while one try past the free failures is being
    checked, the others sent with it are held back."""
    migrate.upgrade(catalog_url)
    db = Database(catalog_url)
    try:
        config = SigninConfig(free_failures=5, lockout_failures=1000, delay_base_seconds=30)
        throttle = SigninServices.build(db, config).throttle
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: throttle.failed("x", f"10.1.0.{i}"), range(40)))
        assert throttle.state("x").failures == 40
        for i in range(4):
            throttle.failed("y", f"10.2.0.{i}")
        with ThreadPoolExecutor(8) as pool:
            admitted = list(pool.map(lambda i: throttle.admit("y", f"10.3.0.{i}"), range(16)))
        assert sum(a is None for a in admitted) == 1  # the rest wait behind the first
    finally:
        db.dispose()

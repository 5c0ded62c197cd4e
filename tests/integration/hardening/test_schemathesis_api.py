"""schemathesis against the served OpenAPI schema, signed in as an admin: generated valid and
invalid requests for every operation, bounded in examples and time. Not one may answer 5xx.

Operations that end the test's own session (logout, revoking sessions) or stream forever
(server-sent events, MJPEG) are left out; if a generated request disables or re-passwords the
admin, the account is restored and signed in again before the next case."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy

from conftest import PASSWORD, Site
from wardeye.registry.schemas import UserUpdate

MAX_EXAMPLES = 25
BUDGET_SECONDS = 170
EXCLUDED = (
    r"^/api/auth/logout$|^/api/sessions$|/sessions(/\{[a-z_]+\})?$|/stream$|/mjpeg$"
    r"|^/api/auth/totp|/totp"
)


@dataclass
class Session:
    site: Site
    headers: dict[str, str] = field(default_factory=dict)

    def sign_in(self) -> None:
        client = self.site.client("admin")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        self.headers = {"cookie": cookie, "origin": "http://testserver"}

    def heal(self, probe: TestClient) -> None:
        """A generated request may have disabled, demoted or re-passworded the admin."""
        if probe.get("/api/auth/me", headers=self.headers).status_code == 200:
            return
        users = self.site.wardeye.users
        admin = next(u for u in users.list() if u.username == "admin")
        users.update(admin.id, UserUpdate(active=True, role="admin", area_ids=[]))
        users.set_password(admin.id, PASSWORD)
        self.sign_in()


@dataclass
class Tally:
    cases: int = 0
    operations: int = 0
    errors: list[str] = field(default_factory=list)


@pytest.mark.slow
def test_no_server_errors(site: Site) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", site.app)
    schema = schema.exclude(path_regex=EXCLUDED)
    session = Session(site)
    session.sign_in()
    probe = TestClient(site.app, base_url="http://testserver")
    tally = Tally()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > BUDGET_SECONDS:
            tally.errors.append(f"time budget spent before {operation.label}")
            break
        tally.operations += 1
        _fuzz(operation.label, operation.as_strategy(), session, probe, tally)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {tally.operations} operations, {tally.cases} cases, "
          f"{len(tally.errors)} server errors, {elapsed:.0f} s")  # fmt: skip
    assert tally.operations >= 40 and tally.cases >= tally.operations * 5
    assert tally.errors == [], "\n".join(tally.errors[:40])


def _fuzz(
    label: str,
    strategy: SearchStrategy[schemathesis.Case],
    session: Session,
    probe: TestClient,
    tally: Tally,
) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        session.heal(probe)
        tally.cases += 1
        response = case.call(headers=session.headers)
        if response.status_code >= 500:
            tally.errors.append(
                f"{label} -> {response.status_code}: {case.as_curl_command()[:400]}"
                f" | {response.text[:200]}"
            )

    with contextlib.suppress(Unsatisfiable):  # no example fits the schema: nothing to send
        run()

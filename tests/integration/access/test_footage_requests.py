"""Footage requests to household owners, over the API: police ask for footage of a camera that
shares only its location; only its owner answers; others never see the request."""

from __future__ import annotations

from conftest import PASSWORD, World
from wardeye.access.permissions import Role
from wardeye.registry.schemas import CameraCreate, UserCreate

WINDOW = {"start": "2026-11-30T08:00:00Z", "end": "2026-11-30T09:00:00Z"}


def test_owner_answers_a_request_once(world: World) -> None:
    wardeye = world.wardeye
    owner = wardeye.users.find(world.accounts[Role.OWNER])
    assert owner is not None
    home = wardeye.cameras.create(
        CameraCreate(name="Nhà ông Tư", area_id=world.inside.village, kind="household",
                     consent_tier="registry", main_url="rtsp://127.0.0.1:9/tu",
                     owner_user_id=owner.id, enabled=False)
    ).id  # fmt: skip
    wardeye.users.add(UserCreate(username="owner-2", password=PASSWORD, role="owner"))
    officer = world.client(Role.OFFICER)
    body = {**WINDOW, "reason": "Trộm xe máy đêm 30/11", "case_ref": "VV-12/2026"}

    made = officer.post(f"/api/cameras/{home}/footage-requests", json=body)
    assert made.status_code == 201, made.text
    request = made.json()
    assert request["status"] == "pending"
    public = officer.post(f"/api/cameras/{world.inside.camera}/footage-requests", json=body)
    assert public.status_code == 409  # a public camera needs no request
    outside = officer.post(f"/api/cameras/{world.outside.household}/footage-requests", json=body)
    assert outside.status_code == 404
    bad = officer.post(
        f"/api/cameras/{home}/footage-requests", json={**body, "end": "2026-11-29T00:00:00Z"}
    )
    assert bad.status_code == 422

    # Only the owner sees and answers it; another owner gets a 404.
    stranger = world.client(None)
    assert stranger.post(
        "/api/auth/login", json={"username": "owner-2", "password": PASSWORD}
    ).is_success
    assert stranger.get("/api/my/footage-requests").json() == []
    answer = {"accept": True, "comment": "Tôi sẽ mang thẻ nhớ lên xã"}
    assert (
        stranger.post(f"/api/my/footage-requests/{request['id']}/answer", json=answer).status_code
        == 404
    )
    mine = world.client(Role.OWNER)
    assert [r["id"] for r in mine.get("/api/my/footage-requests").json()] == [request["id"]]
    accepted = mine.post(f"/api/my/footage-requests/{request['id']}/answer", json=answer)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = mine.post(f"/api/my/footage-requests/{request['id']}/answer", json={"accept": False})
    assert again.status_code == 409

    seen = {r["id"]: r for r in officer.get("/api/footage-requests").json()}
    assert seen[request["id"]]["owner_comment"] == "Tôi sẽ mang thẻ nhớ lên xã"
    other_commune = world.client(None)
    outsider = wardeye.users.add(
        UserCreate(username="can-bo-ngoai", password=PASSWORD, role="officer",
                   area_ids=[world.outside.area])
    )  # fmt: skip
    assert other_commune.post(
        "/api/auth/login", json={"username": outsider.username, "password": PASSWORD}
    ).is_success
    assert request["id"] not in {r["id"] for r in other_commune.get("/api/footage-requests").json()}

    # Both steps are in the audit, with the reason and the case.
    trail = mine.get(f"/api/my/cameras/{home}/access").json()["entries"]
    approvals = [e for e in trail if e["action"] == "approval"]
    assert {e["case_ref"] for e in approvals} == {"VV-12/2026"}
    assert len(approvals) == 2

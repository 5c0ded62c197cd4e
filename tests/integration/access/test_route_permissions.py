"""The authorization matrix, generated from the app's route table: every route × every role
(and nobody signed in) × an object inside the account's areas, one outside, and one that does
not exist. A route with no declared permission fails; an out-of-scope object must answer
exactly as a missing one does (no existence leak); a role without the permission gets 403;
lists never show what lies outside the account's areas."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, RouteContext, iter_route_contexts
from starlette.routing import Mount
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from conftest import World
from wardeye.access.permissions import ROLE_PERMISSIONS, Permission, Role
from wardeye.api.guard import PERMISSION_ATTRIBUTE

MISSING = 987_654_321
PUBLIC_MOUNTS = {"/static"}  # offline front-end files: the same for everyone
REFUSAL = re.compile(r"no (camera|area|user|event) with id")


def declared_permission(route: RouteContext) -> Permission | None:
    """The permission a route declares through the guard (api/guard.py), if any."""
    stack = list(route.dependant.dependencies)
    found: set[Permission] = set()
    while stack:
        dependant = stack.pop()
        permission = getattr(dependant.call, PERMISSION_ATTRIBUTE, None)
        if isinstance(permission, Permission):
            found.add(permission)
        stack.extend(dependant.dependencies)
    assert len(found) <= 1, f"{route.path} declares several permissions: {found}"
    return next(iter(found), None)


def undeclared_routes(app: FastAPI) -> list[str]:
    missing = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, APIRoute | APIWebSocketRoute):
            if declared_permission(route) is None:
                methods = sorted(route.methods or {"WS"})
                missing.append(f"{','.join(methods)} {route.path}")
        elif isinstance(original, Mount):
            if route.path not in PUBLIC_MOUNTS:
                missing.append(f"mount {route.path}")
        elif route.path not in ("/api/openapi.json",):  # the schema is public by design
            missing.append(f"{type(original).__name__} {route.path}")
    return missing


def test_every_route_declares_its_permission(world: World) -> None:
    assert undeclared_routes(world.app) == []


def test_a_route_without_a_declaration_is_caught(world: World) -> None:
    """The check above can fail: a route added without Allow(...) is reported."""
    extra = APIRouter()

    @extra.get("/api/forgotten")
    def forgotten() -> str:
        return "leak"

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.include_router(extra)
    assert undeclared_routes(app) == ["GET /api/forgotten"]


# -- the matrix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any]
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] | None = None


Scope = str  # "inside", "outside", "missing"
Builder = Callable[[World, Scope], Call]


def _ids(world: World, scope: Scope) -> dict[str, int]:
    if scope == "missing":
        keys = (
            "camera_id",
            "event_id",
            "zone_id",
            "area_id",
            "user_id",
            "spare",
            "household",
            "request_id",
        )
        return dict.fromkeys(keys, MISSING)
    side = world.inside if scope == "inside" else world.outside
    return {
        "camera_id": side.camera,
        "event_id": side.event,
        "zone_id": side.zone,
        "area_id": side.area,
        "user_id": side.user,
        "spare": side.spare,
        "household": side.household,
        "request_id": MISSING,
    }


def _fill(path: str, ids: dict[str, int]) -> str:
    """Path ids by name; an id the world has no object for (e.g. a mask) is a missing one."""
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), MISSING)), path)


def _window(world: World) -> dict[str, Any]:
    return {"start": "2026-01-01T00:00:00Z", "end": "2026-01-20T00:00:00Z"}


ZONE = {"name": "Lối vào", "kind": "line", "points": [[0.2, 0.2], [0.8, 0.8]]}
MASK = {"points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4]]}

# Routes that need a query or a body; everything else is called with its path ids only.
EXAMPLES: dict[tuple[str, str], Callable[[World, Scope, dict[str, int]], Call]] = {
    ("GET", "/api/playback/{camera_id}/timeline"): lambda w, s, i: Call(
        "GET", f"/api/playback/{i['camera_id']}/timeline", _window(w)
    ),
    ("GET", "/api/playback/{camera_id}/segments"): lambda w, s, i: Call(
        "GET", f"/api/playback/{i['camera_id']}/segments", _window(w)
    ),
    ("GET", "/api/playback/{camera_id}/media"): lambda w, s, i: Call(
        "GET",
        f"/api/playback/{i['camera_id']}/media",
        {"at": w.footage_at, "origin": w.footage_at, "reason": "vụ việc 12/2026"},
    ),
    ("POST", "/api/cameras"): lambda w, s, i: Call(
        "POST",
        "/api/cameras",
        {},
        {
            "name": f"new-{s}-{len(w.accounts)}-{id(i)}",
            "area_id": i["area_id"],
            "main_url": "rtsp://127.0.0.1:9/x",
            "enabled": False,
        },
    ),
    ("PATCH", "/api/cameras/{camera_id}"): lambda w, s, i: Call(
        "PATCH", f"/api/cameras/{i['camera_id']}", {}, {"description": "đã kiểm tra"}
    ),
    ("POST", "/api/cameras/{camera_id}/consent"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{_household(w, s)}/consent", {}, {"consent_tier": "registry"}
    ),
    ("POST", "/api/cameras/{camera_id}/enable"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{_spare(w, s)}/disable", {}
    ),
    ("POST", "/api/cameras/{camera_id}/disable"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{_spare(w, s)}/disable", {}
    ),
    ("POST", "/api/cameras/{camera_id}/footage-requests"): lambda w, s, i: Call(
        "POST",
        f"/api/cameras/{_household(w, s)}/footage-requests",
        {},
        {"start": "2026-11-30T08:00:00Z", "end": "2026-11-30T09:00:00Z", "reason": "vụ việc"},
    ),
    ("POST", "/api/my/footage-requests/{request_id}/answer"): lambda w, s, i: Call(
        "POST", f"/api/my/footage-requests/{i['request_id']}/answer", {}, {"accept": True}
    ),
    ("POST", "/api/cameras/{camera_id}/verify"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{_spare(w, s)}/verify", {}
    ),
    ("POST", "/api/my/cameras"): lambda w, s, i: Call(
        "POST",
        "/api/my/cameras",
        {},
        {
            "name": f"Nhà {s} {id(i)}",
            "area_id": w.inside.village,
            "latitude": 21.3,
            "longitude": 103.1,
        },
    ),
    ("DELETE", "/api/cameras/{camera_id}"): lambda w, s, i: Call(
        "DELETE", f"/api/cameras/{i['camera_id']}", {}
    ),  # has footage: 409 when allowed
    ("POST", "/api/cameras/import"): lambda w, s, i: Call(
        "POST",
        "/api/cameras/import",
        {"dry_run": "true"},
        content=(f"name,area,main_url\nimp-{s},{i['area_id']},rtsp://127.0.0.1:9/i\n").encode(),
        headers={"content-type": "text/csv", "origin": "http://testserver"},
    ),
    ("POST", "/api/cameras/{camera_id}/zones"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{i['camera_id']}/zones", {}, {**ZONE, "name": f"z-{id(i)}"}
    ),
    ("PUT", "/api/cameras/{camera_id}/zones/{zone_id}"): lambda w, s, i: Call(
        "PUT", f"/api/cameras/{i['camera_id']}/zones/{i['zone_id']}", {}, ZONE
    ),
    ("POST", "/api/cameras/{camera_id}/masks"): lambda w, s, i: Call(
        "POST", f"/api/cameras/{i['camera_id']}/masks", {}, {**MASK, "name": f"m-{id(i)}"}
    ),
    ("PATCH", "/api/cameras/{camera_id}/masks/{mask_id}"): lambda w, s, i: Call(
        "PATCH", f"/api/cameras/{i['camera_id']}/masks/{MISSING}", {}, {"enabled": False}
    ),
    ("POST", "/api/users/{user_id}/tokens"): lambda w, s, i: Call(
        "POST",
        f"/api/users/{i['user_id']}/tokens",
        {},
        {"name": "tích hợp", "scopes": ["view_map"], "expires_at": "2030-01-01T00:00:00Z"},
    ),
    ("POST", "/api/users/{user_id}/unlock"): lambda w, s, i: Call(
        "POST", f"/api/users/{i['user_id']}/unlock", {}
    ),
    ("POST", "/api/areas"): lambda w, s, i: Call(
        "POST",
        "/api/areas",
        {},
        {"name": f"Bản {s} {id(i)}", "level": "village", "parent_id": i["area_id"]},
    ),
    ("POST", "/api/users"): lambda w, s, i: Call(
        "POST",
        "/api/users",
        {},
        {
            "username": f"u{id(i)}",
            "password": "mật khẩu dài lắm",
            "role": "viewer",
            "area_ids": [i["area_id"]],
        },
    ),
    ("PATCH", "/api/users/{user_id}"): lambda w, s, i: Call(
        "PATCH", f"/api/users/{i['user_id']}", {}, {"display_name": "Cán bộ"}
    ),
    ("POST", "/api/users/{user_id}/password"): lambda w, s, i: Call(
        "POST", f"/api/users/{i['user_id']}/password", {}, {"password": "mật khẩu mới dài"}
    ),
}


def _household(world: World, scope: Scope) -> int:
    if scope == "missing":
        return MISSING
    return (world.inside if scope == "inside" else world.outside).household


def _spare(world: World, scope: Scope) -> int:
    if scope == "missing":
        return MISSING
    return (world.inside if scope == "inside" else world.outside).spare


def build(world: World, method: str, path: str, scope: Scope) -> Call:
    ids = _ids(world, scope)
    example = EXAMPLES.get((method, path))
    if example is not None:
        return example(world, scope, ids)
    assert method in ("GET", "DELETE"), f"add an example request for {method} {path}"
    return Call(method, _fill(path, ids), {})


def send(client: TestClient, call: Call) -> tuple[int, str]:
    """Status and body; an endless stream (SSE, MJPEG) is read up to its first chunk."""
    headers = {"origin": "http://testserver", **(call.headers or {})}
    with client.stream(
        call.method,
        call.path,
        params=call.params,
        json=call.body,
        content=call.content,
        headers=headers,
        follow_redirects=False,
    ) as answer:
        chunks = answer.iter_bytes()
        body = next(chunks, b"")
        if not answer.headers.get("content-type", "").startswith(("text/event-stream", "multi")):
            body += b"".join(chunks)
        return answer.status_code, body.decode(errors="replace")


def _routes(app: FastAPI) -> Iterator[tuple[str, str, Permission]]:
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path is not None:
            permission = declared_permission(route)
            if permission is None:
                continue  # reported by test_every_route_declares_its_permission
            for method in sorted(route.methods or ()):
                yield method, route.path, permission


def _has(role: str | None, permission: Permission) -> bool:
    if permission == Permission.PUBLIC:
        return True
    return role is not None and permission in ROLE_PERMISSIONS[Role(role)]


ROLES: list[str | None] = [None, *(r.value for r in Role)]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Signing in and one's own account concern no object in an area: tests/integration/signin.
SELF_SERVICE = ("/api/auth/", "/api/account/", "/login", "/logout")


def _normal(text: str, ids: dict[str, int]) -> str:
    """The answer with this side's ids replaced, whole numbers only."""
    wanted = {str(v) for v in ids.values()}
    return re.sub(r"\d+", lambda m: "ID" if m.group(0) in wanted else m.group(0), text)


def test_authorization_matrix(world: World, record_property: Any) -> None:
    """Out-of-scope answers equal missing-object answers, and lists hide what is outside."""
    tried, leaks = 0, []
    routes = [r for r in _routes(world.app) if not r[1].startswith(SELF_SERVICE)]
    # Reads first, writes after, so a write (disabling, deleting) cannot hide a read leak.
    routes.sort(key=lambda r: r[0] in WRITE_METHODS)
    for role in ROLES:
        client = world.client(role)
        for method, path, permission in routes:
            has_params = "{" in path
            outside = send(client, build(world, method, path, "outside"))
            missing = send(client, build(world, method, path, "missing"))
            inside = send(client, build(world, method, path, "inside"))
            tried += 3
            verdict = _judge(
                method, path, role, permission, has_params, world, outside, missing, inside
            )
            if verdict:
                leaks.append(f"{role} {method} {path}: {verdict}")
    record_property("matrix", f"{tried} requests, {len(ROLES)} principals, {len(routes)} routes")
    print(
        f"authorization matrix: {len(routes)} routes x {len(ROLES)} principals x 3 objects = "
        f"{tried} requests, {len(leaks)} leaks"
    )
    assert leaks == [], "\n".join(leaks)


# Where an owner places a new camera: the public administrative map (names of communes, no
# cameras), so other communes' names may appear there.
ADMINISTRATIVE_MAP = {"/my", "/api/my/places"}

# Actions over every account, refused (403) to an admin bound to areas whatever the object.
EVERY_AREA_ONLY = {("DELETE", "/api/sessions")}


def _judge(
    method: str,
    path: str,
    role: str | None,
    permission: Permission,
    has_params: bool,
    world: World,
    outside: tuple[int, str],
    missing: tuple[int, str],
    inside: tuple[int, str],
) -> str | None:
    if permission == Permission.PUBLIC:
        return None
    if role is None:
        expected = {401, 303}  # API answers 401, pages send to the login page
        if {outside[0], missing[0], inside[0]} - expected:
            return f"not signed in but got {outside[0]}/{missing[0]}/{inside[0]}"
        return None
    if not _has(role, permission):
        if {outside[0], missing[0], inside[0]} != {403}:
            return f"lacks {permission} but got {outside[0]}/{missing[0]}/{inside[0]}"
        return None
    if outside[0] < 400 and has_params:
        return f"out-of-scope object answered {outside[0]}"
    names = [world.outside.name]
    if path not in ADMINISTRATIVE_MAP:
        names.append(world.outside.name.split("-")[1])  # the other commune's own name
    for hidden in names:
        if outside[0] < 400 and hidden in outside[1]:
            return f"shows {hidden!r} from outside the account's areas"
    if has_params:
        out_ids = _ids(world, "outside")
        if (outside[0], _normal(outside[1], out_ids)) != (
            missing[0],
            _normal(missing[1], _ids(world, "missing")),
        ):
            seen, expected = f"{outside[0]} {outside[1][:80]}", f"{missing[0]} {missing[1][:80]}"
            return f"outside ({seen}) differs from missing ({expected})"
    if role != Role.OWNER and inside[0] in (401, 403) and permission != Permission.SET_CONSENT:
        if inside[0] == 403 and (method, path) in EVERY_AREA_ONLY:
            return None
        return f"in-scope object refused: {inside[0]} {inside[1][:100]}"
    if role != Role.OWNER and inside[0] == 404 and REFUSAL.search(inside[1]):
        return f"in-scope object hidden: {inside[1][:100]}"
    return None


def test_lists_hide_what_is_outside(world: World) -> None:
    """Every list a signed-in person can read, for every role: nothing from the other commune,
    and a location-only household camera never shows its pictures or events."""
    lists = [
        "/api/cameras",
        "/api/areas",
        "/api/events",
        "/api/health/cameras",
        "/api/live/status",
        "/api/playback/uptime",
        "/api/users",
        "/",
        "/cameras",
        "/events",
        "/playback",
        "/live",
        "/health",
    ]
    outside_cameras = {world.outside.camera, world.outside.spare, world.outside.household}
    outside_areas = {world.outside.area, world.outside.village}
    checked = 0
    for role in (r.value for r in Role):
        client = world.client(role)
        for path in lists:
            answer = client.get(path, follow_redirects=False)
            if answer.status_code != 200:
                continue
            checked += 1
            assert world.outside.name not in answer.text, (role, path)
            assert "Nà Tấu" not in answer.text, (role, path)
            if answer.headers["content-type"].startswith("application/json"):
                items = answer.json()
                cameras = {i.get("camera_id", i["id"] if "area_path" in i else None) for i in items}
                assert not cameras & outside_cameras, (role, path)
                if path == "/api/areas":
                    assert not {i["id"] for i in items} & outside_areas, role
                if path == "/api/users":
                    assert world.outside.user not in {i["id"] for i in items}, role
    assert checked >= 40  # the lists were really read
    admin = world.client(Role.ADMIN)
    ids = [e["camera_id"] for e in admin.get("/api/events").json()]
    assert world.inside.household not in ids
    cameras = {c["id"]: c for c in admin.get("/api/cameras").json()}
    home = cameras[world.inside.household]
    assert (home["video_shared"], home["may_live"], home["may_play"]) == (False, False, False)


def test_owner_sees_only_their_own_cameras(world: World) -> None:
    owner = world.client(Role.OWNER)
    cameras = owner.get("/api/cameras").json()
    account = world.wardeye.users.find(world.accounts[Role.OWNER])
    assert account is not None
    assert world.owned in [c["id"] for c in cameras]  # plus any it registered in the matrix
    assert {c["owner_user_id"] for c in cameras} == {account.id}
    assert owner.get(f"/api/cameras/{world.inside.camera}").status_code == 404
    assert owner.get(f"/api/cameras/{world.owned}").json()["may_play"] is True


def test_live_socket_refusals_are_told_apart(world: World) -> None:
    """A refused socket is accepted, then closed with a code the page understands."""

    def close_code(client: TestClient, camera_id: int) -> int:
        try:
            with client.websocket_connect(f"/api/live/{camera_id}/ws") as socket:
                socket.receive_text()
        except WebSocketDisconnect as closed:
            return closed.code
        raise AssertionError("socket stayed open")

    assert close_code(world.client(None), world.inside.camera) == 4401
    officer = world.client(Role.OFFICER)
    assert close_code(officer, world.outside.camera) == close_code(officer, MISSING) == 4404
    assert close_code(officer, world.inside.household) == 4403  # owner shares location only
    assert close_code(officer, world.inside.camera) == 4409  # disabled


def test_recorded_footage_needs_a_reason(world: World) -> None:
    officer = world.client(Role.OFFICER)
    officer.get(f"/api/events/{world.inside.event}")
    no_reason = officer.get(
        f"/api/playback/{world.inside.camera}/media",
        params={"at": world.footage_at, "origin": world.footage_at},
    )
    assert no_reason.status_code == 428
    assert json.loads(no_reason.text)["reason_required"] is True

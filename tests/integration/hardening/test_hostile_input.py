"""Hostile input on every route, built from the app's route table so a new route is covered
the day it is added: path traversal (raw and URL-encoded), out-of-range numbers and times,
injection strings, oversized and malformed bodies, NUL bytes. Every answer must be a 4xx (or
a plain success for text that is merely odd); a 5xx, an exception or a hang fails the test
with the route, the input and the traceback."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from hostile_support import Answer, call
from pydantic import BaseModel

from conftest import STREAM_PASSWORD, Site
from wardeye.core.bounds import MAX_BODY_BYTES

BIG_INTS = ["-1", "0", str(2**31), str(2**63), str(2**64), "1" + "0" * 40, "1e309", "NaN"]
BAD_TIMES = [
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999-23:59",
    "1" + "0" * 30,  # a unix timestamp far past year 9999
    "-99999999999999",
    "1e309",
]
BAD_FLOATS = ["1e309", "-1e309", "nan", "inf", str(2**1100)]
INJECTIONS = [
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "1; DROP TABLE cameras; --",
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 20_000,
]
TRAVERSALS = ["..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc", "..%5c..%5cwindows", "%252e%252e"]
VALID = {int: "1", float: "1", bool: "true", datetime: "2025-07-01T08:00:00+07:00", str: "x"}


@dataclass(frozen=True)
class Param:
    name: str
    kind: type
    literal: tuple[Any, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    path_params: tuple[Param, ...]
    query_params: tuple[Param, ...]
    body: type[BaseModel] | None
    form: tuple[str, ...]
    websocket: bool = False


def _base_type(annotation: Any) -> tuple[type, tuple[Any, ...]]:
    """int for ``int | None``, ``Annotated[int, …]``, ``list[int]``; Literal values kept."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is typing.Literal:
            return str, tuple(typing.get_args(annotation))
        if origin is None:
            return (annotation if isinstance(annotation, type) else str), ()
        annotation = args[0]


def _param(field: Any) -> Param:
    kind, literal = _base_type(field.field_info.annotation)
    return Param(field.name, kind, literal, bool(field.field_info.is_required()))


def endpoints(app: FastAPI) -> list[Endpoint]:
    found = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute | APIWebSocketRoute) or route.path is None:
            continue
        stack, path, query, bodies, form = [route.dependant], [], [], [], []
        while stack:
            dependant = stack.pop()
            stack.extend(dependant.dependencies)
            path += [_param(p) for p in dependant.path_params]
            query += [_param(p) for p in dependant.query_params]
            for p in dependant.body_params:
                annotation = p.field_info.annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    bodies.append(annotation)
                else:
                    form.append(p.name)
        methods = sorted(route.methods or {"GET"})
        for method in methods:
            found.append(Endpoint(method, route.path, tuple(path), tuple(query),
                                  bodies[0] if bodies else None, tuple(form),
                                  isinstance(original, APIWebSocketRoute)))  # fmt: skip
    return found


@dataclass
class Prober:
    site: Site
    cookie: str
    tried: int = 0

    def ids(self) -> dict[str, str]:
        return {"camera_id": str(self.site.camera), "area_id": str(self.site.commune),
                "user_id": "1"}  # fmt: skip

    def url(self, endpoint: Endpoint, replace: dict[str, str] | None = None) -> str:
        values = {**self.ids(), **(replace or {})}

        def fill(match: re.Match[str]) -> str:
            return values.get(match.group(1), "1")

        return re.sub(r"\{(\w+)(?::\w+)?\}", fill, endpoint.path)

    def send(
        self,
        endpoint: Endpoint,
        path: str,
        query: str = "",
        body: bytes = b"",
        content_type: str = "application/json",
        declare_length: bool = True,
    ) -> Answer:
        self.tried += 1
        headers = {"cookie": self.cookie, "origin": "http://testserver"}
        if body:
            headers["content-type"] = content_type
        return call(self.site.app, endpoint.method, path, query, body, headers,
                    declare_length=declare_length, websocket=endpoint.websocket)  # fmt: skip


@pytest.fixture
def prober(site: Site) -> Prober:
    client = site.client("admin")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return Prober(site, cookie)


def _failures(answers: Iterator[tuple[str, Answer]]) -> list[str]:
    bad = []
    for label, answer in answers:
        if 500 <= answer.status < 1000 or answer.status == 1011 or answer.error:
            last = answer.error.strip().splitlines()[-3:] if answer.error else [answer.text[:200]]
            bad.append(f"{label} -> {answer.status}: {' | '.join(last)}")
    return bad


def _query(endpoint: Endpoint, name: str, value: str) -> str:
    parts = []
    for p in endpoint.query_params:
        if p.name == name:
            parts.append(f"{name}={quote(value, safe='%')}")
        elif p.required:
            fallback = str(p.literal[0]) if p.literal else VALID.get(p.kind, "1")
            parts.append(f"{p.name}={quote(fallback)}")
    return "&".join(parts)


def _hostile_values(param: Param) -> list[str]:
    if param.kind in (int, bool):
        return BIG_INTS
    if param.kind is datetime:
        return BAD_TIMES
    if param.kind is float:
        return BAD_FLOATS
    return INJECTIONS


def test_a_server_error_is_caught_by_the_prober() -> None:
    """The suite can fail: an app that breaks on a large id is reported, with its line."""
    app = FastAPI()

    @app.get("/boom/{n}")
    def boom(n: int) -> int:
        return [0][n]  # IndexError for anything but 0

    answer = call(app, "GET", "/boom/" + str(2**63))
    assert answer.status == 500 and "IndexError" in answer.error
    assert _failures(iter([("GET /boom", answer)])) != []
    slow = FastAPI()

    @slow.get("/stream")
    async def forever() -> None:
        await anyio.sleep_forever()

    assert call(slow, "GET", "/stream", timeout=0.5).status == 599


def test_route_table_is_seen(site: Site) -> None:
    found = endpoints(site.app)
    paths = {e.path for e in found}
    assert {"/api/cameras/{camera_id}", "/api/areas", "/api/users"} <= paths
    assert any(e.body is not None for e in found) and any(e.query_params for e in found)


def test_path_ids_out_of_range_or_traversing(prober: Prober) -> None:
    def answers() -> Iterator[tuple[str, Answer]]:
        for endpoint in endpoints(prober.site.app):
            for param in endpoint.path_params:
                for value in (*BIG_INTS, *TRAVERSALS):
                    path = prober.url(endpoint, {param.name: value})
                    answer = prober.send(endpoint, path)
                    yield f"{endpoint.method} {path}", answer
                    if not endpoint.websocket:
                        assert answer.status < 500 or answer.status >= 1000, (path, answer.text)

    bad = _failures(answers())
    assert bad == [], "\n".join(bad)
    assert prober.tried > 200  # every id route was reached


@pytest.mark.parametrize(
    "raw",
    [
        "/static/../../etc/passwd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/vendor/../../../../../etc/passwd",
        "/static/..\\..\\etc\\passwd",
        "/api/cameras/..%2F..%2Fetc",
        "/api/cameras/1/../../../etc/passwd",
        "/api/playback/1/media/..%2F..%2F..%2Fetc%2Fpasswd",
        "/map/overlay/..%2F..%2Fcatalog.sqlite3",
        "/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_static_and_api_paths_do_not_traverse(prober: Prober, raw: str) -> None:
    endpoint = Endpoint("GET", raw, (), (), None, ())
    answer = prober.send(endpoint, raw)
    assert 400 <= answer.status < 500, (raw, answer.status, answer.text[:200])
    assert b"root:" not in answer.body and b"SQLite format" not in answer.body


def test_query_values_out_of_range_and_injected(prober: Prober) -> None:
    def answers() -> Iterator[tuple[str, Answer]]:
        for endpoint in endpoints(prober.site.app):
            for param in endpoint.query_params:
                for value in _hostile_values(param):
                    query = _query(endpoint, param.name, value)
                    path = prober.url(endpoint)
                    yield (
                        f"{endpoint.method} {path}?{query[:120]}",
                        prober.send(endpoint, path, query),
                    )

    bad = _failures(answers())
    assert bad == [], "\n".join(bad)


def test_nul_in_any_address_is_refused(prober: Prober) -> None:
    for endpoint in endpoints(prober.site.app):
        if endpoint.websocket:
            continue
        path = prober.url(endpoint)
        answer = prober.send(endpoint, path, "q=%00")
        assert answer.status == 422, (endpoint.method, path, answer.status)
    endpoint = Endpoint("GET", "/api/cameras", (), (), None, ())
    assert prober.send(endpoint, "/api/cameras/1%00").status == 422


def _numeric_fields(model: type[BaseModel]) -> list[tuple[str, type]]:
    fields = []
    for name, info in model.model_fields.items():
        kind, _ = _base_type(info.annotation)
        if kind in (int, float, datetime):
            fields.append((name, kind))
    return fields


BASE_BODIES: dict[str, dict[str, Any]] = {
    "CameraCreate": {
        "name": "Cam hostile",
        "area_id": 1,
        "main_url": "rtsp://u:p@127.0.0.1:9/x",
        "enabled": False,
    },
    "AreaCreate": {"name": "Xã Hostile", "level": "commune", "parent_id": 1},
    "UserCreate": {"username": "hostile", "password": "long enough pw", "role": "viewer"},
}


def test_bodies_oversized_malformed_nul_and_out_of_range(prober: Prober) -> None:
    huge = b'{"name": "' + b"a" * (MAX_BODY_BYTES + 1024) + b'"}'

    def answers() -> Iterator[tuple[str, Answer]]:
        for endpoint in endpoints(prober.site.app):
            if endpoint.body is None or endpoint.websocket:
                continue
            path = prober.url(endpoint)
            label = f"{endpoint.method} {path}"
            declared = prober.send(endpoint, path, body=huge)
            assert declared.status == 413, (label, declared.status)
            streamed = prober.send(endpoint, path, body=huge, declare_length=False)
            assert streamed.status == 413, (label, "chunked", streamed.status)
            for raw in (b'{"name": ', b"\x00\x00", b'{"name": "a\x00b"}', b"[" * 5000,
                        b'{"name": "a\\u0000b", "password": "abc\\u0000defgh"}'):  # fmt: skip
                answer = prober.send(endpoint, path, body=raw)
                assert 400 <= answer.status < 500, (label, raw[:30], answer.status, answer.text)
                yield f"{label} {raw[:30]!r}", answer
            base = BASE_BODIES.get(endpoint.body.__name__, {})
            for name, kind in _numeric_fields(endpoint.body):
                values = {int: BIG_INTS, float: BAD_FLOATS, datetime: BAD_TIMES}[kind]
                for value in values:
                    literal = value if kind is not datetime else json.dumps(value)
                    if kind is int and not value.lstrip("-").isdigit():
                        literal = json.dumps(value) if value == "NaN" else value
                    fields = {k: v for k, v in base.items() if k != name}
                    text = json.dumps(fields)[:-1].rstrip("{")
                    glue = ", " if fields else "{"
                    raw = f"{text}{glue}{json.dumps(name)}: {literal}}}".encode()
                    yield f"{label} {name}={value}", prober.send(endpoint, path, body=raw)

    bad = _failures(answers())
    assert bad == [], "\n".join(bad)


def test_form_routes_take_nul_and_injection(prober: Prober) -> None:
    def answers() -> Iterator[tuple[str, Answer]]:
        for endpoint in endpoints(prober.site.app):
            if not endpoint.form:
                continue
            for value in ("%00", quote(INJECTIONS[0]), quote(INJECTIONS[1]), "x" * 5000):
                body = "&".join(f"{f}={value}" for f in endpoint.form).encode()
                yield f"{endpoint.method} {endpoint.path} {value[:20]}", prober.send(
                    endpoint, endpoint.path, body=body,
                    content_type="application/x-www-form-urlencoded",
                )  # fmt: skip

    bad = _failures(answers())
    assert bad == [], "\n".join(bad)


def test_csv_import_hostile_bodies(prober: Prober) -> None:
    endpoint = Endpoint("POST", "/api/cameras/import", (), (), None, ())
    header = b"name,area,main_url\n"
    for body in (
        header + b"a,\x00,rtsp://h/1\n",
        header + b"\xff\xfe not utf-8",
        header + b'"unterminated,' + b"x" * 200_000,
        header + b"a,%d,rtsp://h/1\n" % 2**64,
        header + b"b,1,rtsp://admin:" + STREAM_PASSWORD.encode() + b"/x\n",
        header + b"c,1,rtsp://h/1\n" * 10_001,
    ):
        answer = prober.send(endpoint, "/api/cameras/import", "dry_run=true", body,
                             content_type="text/csv")  # fmt: skip
        assert 400 <= answer.status < 500, (body[:40], answer.status, answer.text[:300])
        assert STREAM_PASSWORD not in answer.text


def test_injected_names_are_stored_as_text_and_escaped(site: Site) -> None:
    admin = site.client("admin")
    name = "<script>alert('x')</script>' OR 1=1; DROP TABLE cameras; --"
    created = admin.post("/api/cameras", json={"name": name, "area_id": site.village,
                                                "main_url": "rtsp://127.0.0.1:9/x",
                                                "enabled": False})  # fmt: skip
    assert created.status_code == 201, created.text
    assert admin.get(f"/api/cameras/{created.json()['id']}").json()["name"] == name
    assert len(admin.get("/api/cameras").json()) == 2  # the table is still there
    page = admin.get("/cameras")
    assert page.status_code == 200
    assert "<script>alert(" not in page.text and "&lt;script&gt;alert(" in page.text
    searched = admin.get("/api/events", params={"kind": "' OR '1'='1"})
    assert searched.status_code in (200, 422) and (searched.status_code == 422
                                                    or searched.json() == [])  # fmt: skip

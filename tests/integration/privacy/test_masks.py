"""Privacy masks on a real WardEye recording vtest footage from the RTSP simulator: the mask
API (permissions, validation, audit), and the pictures a browser actually receives, decoded:
live fMP4 over the WebSocket, snapshot JPEG, MJPEG and recorded playback are black inside the
mask and show the picture elsewhere; the unmasked output shows the picture inside too. One
masking encoder per camera stream, whoever many watch, and none while nobody watches."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from privacy_site import (
    ADMIN,
    ADMIN_PASSWORD,
    PUBLIC,
    Browser,
    Luma,
    box_points,
    decode_luma,
    receive_fmp4,
    region_means,
    sign_in,
)
from sqlalchemy import select
from wardeye_harness import Site, wait_for

from wardeye.catalog.models import AuditEntry
from wardeye.live.feed import LiveFeed
from wardeye.live.messages import Fragment, InitSegment
from wardeye.live.replay import SegmentReplay
from wardeye.privacy.masks import masks_for

pytestmark = pytest.mark.rtsp

BOX = (0.55, 0.15, 0.85, 0.45)  # a bright part of vtest (mean luma ~155)
BLACK = 20.0  # mean luma inside a mask, codec noise allowed
PICTURE = 60.0  # mean luma where the picture shows


@pytest.fixture(scope="module")
def admin(site: Site) -> Browser:
    return sign_in(site.url, ADMIN, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def officer(site: Site) -> Browser:
    return sign_in(site.url)


@pytest.fixture
def mask(site: Site, admin: Browser) -> Iterator[int]:
    """A box mask on the public camera for one test."""
    camera = site.cameras[PUBLIC]
    with admin.http() as http:
        answer = http.post(
            f"/api/cameras/{camera}/masks",
            json={"name": "Cửa sổ nhà số 5", "points": box_points(BOX)},
        )
        assert answer.status_code == 201, answer.text
        mask_id = int(answer.json()["id"])
        yield mask_id
        http.delete(f"/api/cameras/{camera}/masks/{mask_id}")


def assert_masked(luma: list[Luma], what: str) -> None:
    for picture in luma:
        inside, outside = region_means(picture, BOX)
        assert inside < BLACK, f"{what}: mask not black (mean luma {inside:.1f})"
        assert outside > PICTURE, f"{what}: picture gone outside the mask ({outside:.1f})"


def assert_unmasked(luma: list[Luma], what: str) -> None:
    for picture in luma:
        inside, _ = region_means(picture, BOX)
        assert inside > PICTURE, f"{what}: picture hidden without masks ({inside:.1f})"


def masking_threads() -> int:
    return sum("live-masked" in t.name for t in threading.enumerate())


# -- the API -------------------------------------------------------------------------------------


def test_mask_api_permissions_validation_and_audit(
    site: Site, admin: Browser, officer: Browser
) -> None:
    camera = site.cameras[PUBLIC]
    path = f"/api/cameras/{camera}/masks"
    with admin.http() as http, officer.http() as viewer:
        assert viewer.post(path, json={"name": "x", "points": box_points(BOX)}).status_code == 403
        bad = [
            {"name": "out", "points": [[0, 0], [1.5, 0], [1, 1]]},
            {"name": "flat", "points": [[0, 0], [0.5, 0.5], [1, 1]]},
            {"name": "two", "points": [[0, 0], [1, 1]]},
            {"name": "", "points": box_points(BOX)},
            {"name": "extra", "points": box_points(BOX), "colour": "red"},
        ]
        for body in bad:
            assert http.post(path, json=body).status_code == 422, body
        created = http.post(path, json={"name": "Sân nhà", "points": box_points(BOX)})
        assert created.status_code == 201, created.text
        mask = created.json()
        assert mask["camera_id"] == camera and mask["enabled"] is True
        assert (
            http.post(path, json={"name": "Sân nhà", "points": box_points(BOX)}).status_code == 409
        )
        assert [m["name"] for m in viewer.get(path).json()] == ["Sân nhà"]
        assert viewer.get(f"{path}/{mask['id']}").json()["points"] == [
            list(p) for p in box_points(BOX)
        ]
        off = http.patch(f"{path}/{mask['id']}", json={"enabled": False})
        assert off.status_code == 200 and off.json()["enabled"] is False
        assert masks_for(site.wardeye.db, camera) == []
        assert viewer.delete(f"{path}/{mask['id']}").status_code == 403
        assert http.delete(f"{path}/{mask['id']}").status_code == 204
        assert http.get(f"{path}/{mask['id']}").status_code == 404
        assert http.get("/api/cameras/999999/masks").status_code == 404
    with site.wardeye.db.session() as session:
        changes = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "mask_change", AuditEntry.camera_id == camera
            )
        ).all()
        summary = [(e.username, e.result, json.loads(e.detail)["change"]) for e in changes]
    assert summary[-4:] == [
        (ADMIN, "ok", "create"),
        (ADMIN, "failed", "create"),  # the duplicate name
        (ADMIN, "ok", "update"),
        (ADMIN, "ok", "delete"),
    ]


# -- live ----------------------------------------------------------------------------------------


def test_live_socket_is_masked_and_one_encoder_serves_every_viewer(
    site: Site, officer: Browser, mask: int
) -> None:
    camera = site.cameras[PUBLIC]
    with officer.socket(camera, "main") as one, officer.socket(camera, "main") as two:
        first = receive_fmp4(one, 30)
        second = receive_fmp4(two, 30)
        assert masking_threads() == 1  # two viewers, one encoder
    assert_masked(decode_luma(first)[-10:], "live (1st viewer)")
    assert_masked(decode_luma(second)[-10:], "live (2nd viewer)")
    wait_for(lambda: masking_threads() == 0, 10, "the encoder to stop after the last viewer")


def test_unmasked_live_output_shows_the_picture(site: Site, mask: int) -> None:
    """What the router gives a viewer with the unmask right who lifted the masks."""
    hub = site.wardeye.live
    camera = site.cameras[PUBLIC]

    async def watch() -> bytes:
        stream = hub.broadcaster(camera, "main", masked=False)
        feed = LiveFeed(asyncio.get_running_loop())
        stream.add_feed(feed)
        data, fragments = b"", 0
        try:
            while fragments < 20:
                message = await asyncio.wait_for(feed.get(), 10)
                if isinstance(message, InitSegment):
                    data, fragments = message.data, 0
                elif isinstance(message, Fragment):
                    data, fragments = data + message.data, fragments + 1
        finally:
            stream.remove_feed(feed)
        return data

    assert_unmasked(decode_luma(asyncio.run(watch()))[-5:], "unmasked live")
    assert masking_threads() == 0  # lifting the mask runs no encoder


def test_no_mask_costs_nothing_and_a_new_mask_applies_to_open_sockets(
    site: Site, admin: Browser, officer: Browser
) -> None:
    camera = site.cameras[PUBLIC]
    with officer.socket(camera, "main") as ws:
        plain = receive_fmp4(ws, 10)
        assert masking_threads() == 0  # masked=True without masks: the original passes through
        with admin.http() as http:
            answer = http.post(
                f"/api/cameras/{camera}/masks", json={"name": "Ban công", "points": box_points(BOX)}
            )
            mask_id = answer.json()["id"]
            drawn_at = time.monotonic()
            # The socket gets a new init segment (the masked stream), then masked fragments.
            while True:
                message = ws.recv(timeout=10)
                if isinstance(message, str) and json.loads(message)["type"] == "init":
                    break
            switched = time.monotonic() - drawn_at
            masked = receive_fmp4(ws, 20)
            assert masking_threads() == 1
            http.delete(f"/api/cameras/{camera}/masks/{mask_id}")
            while True:  # and back to the original once the mask is gone
                message = ws.recv(timeout=10)
                if isinstance(message, str) and json.loads(message)["type"] == "init":
                    break
            back = receive_fmp4(ws, 10)
    assert_unmasked(decode_luma(plain)[-3:], "before the mask")
    assert switched < 1.0
    assert_masked(decode_luma(masked)[-10:], "after the mask was drawn")
    assert_unmasked(decode_luma(back)[-3:], "after the mask was removed")
    wait_for(lambda: masking_threads() == 0, 10, "the encoder to stop")


# -- still pictures ------------------------------------------------------------------------------


def test_snapshot_and_mjpeg_are_masked(site: Site, officer: Browser, mask: int) -> None:
    camera = site.cameras[PUBLIC]
    with officer.http() as http:
        jpeg = http.get(f"/api/live/{camera}/snapshot.jpg?stream=main")
        assert jpeg.status_code == 200, jpeg.text
        assert_masked(decode_luma(jpeg.content), "snapshot")
        sub = http.get(f"/api/live/{camera}/snapshot.jpg?stream=sub")  # 0-1 coordinates fit both
        assert_masked(decode_luma(sub.content), "sub stream snapshot")
        with http.stream("GET", f"/api/live/{camera}/mjpeg?stream=main&fps=5") as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if body.count(b"\xff\xd9") >= 2:
                    break
    start = body.index(b"\xff\xd8")
    assert_masked(decode_luma(body[start : body.index(b"\xff\xd9", start) + 2]), "MJPEG")
    unmasked = site.wardeye.live.snapshots(camera, "main", masked=False).jpeg()
    assert unmasked is not None
    assert_unmasked(decode_luma(unmasked), "unmasked snapshot")


# -- playback ------------------------------------------------------------------------------------


def _recorded_segment(site: Site) -> tuple[object, object]:
    camera = site.cameras[PUBLIC]
    site.wait_segments(camera, 2, timeout=30)
    footage = site.wardeye.footage
    from wardeye.core.clock import utc_now

    (segment, *_) = footage.segments(camera, utc_now() - timedelta(hours=1), utc_now())
    return footage, segment


def test_segment_replay_masks_and_unmasks(site: Site, mask: int) -> None:
    footage, segment = _recorded_segment(site)
    path = footage.file(segment)  # type: ignore[attr-defined]
    masks = masks_for(site.wardeye.db, site.cameras[PUBLIC])
    assert len(masks) == 1
    masked = SegmentReplay(path, masks=masks)
    data = b"".join(masked.chunks())
    assert masked.head.mime.startswith('video/mp4; codecs="avc1.')
    pictures = decode_luma(data)
    assert len(pictures) >= 40  # the whole 2 s segment
    assert_masked(pictures, "masked playback")
    plain = b"".join(SegmentReplay(path, masks=()).chunks())
    assert_unmasked(decode_luma(plain)[:5], "unmasked playback (remuxed)")


def test_playback_media_is_masked(site: Site, officer: Browser, mask: int) -> None:
    """What the playback page's player fetches: /api/playback/{id}/media."""
    _, segment = _recorded_segment(site)
    camera = site.cameras[PUBLIC]
    at = segment.start  # type: ignore[attr-defined]
    query = f"at={quote(at.isoformat())}&origin={quote(at.isoformat())}&stream=main"
    with officer.http() as http:
        answer = http.get(
            f"/api/playback/{camera}/media?{query}",
            headers={"X-Access-Reason": quote("kiểm tra mặt nạ")},
        )
    assert answer.status_code == 200, answer.text
    assert_masked(decode_luma(answer.content), "playback media")

"""Playback over the API from segments the real Recorder wrote: timeline (ranges, gaps with
reasons), fMP4 from any instant, consecutive segments lining up, first bytes within a second."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import av
import pytest
from fastapi.testclient import TestClient
from wardeye_harness import PASSWORD, USER, Site, wait_for

from wardeye.testing.http import SAME_ORIGIN
from wardeye.testing.media import read_clock_counter
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp
CLOCK = "Đồng hồ (đo độ trễ)"
CAM720 = "Chợ Bến Thành – cổng Tây"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[TestClient]:
    site.wait_segments(site.cameras[CLOCK], 4)
    # Recorded footage needs a stated reason (the web app asks once per viewing).
    headers = {**SAME_ORIGIN, "X-Access-Reason": "ki%E1%BB%83m%20tra"}
    with TestClient(site.wardeye.asgi(), headers=headers) as http:
        response = http.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        assert response.status_code == 200
        yield http


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"start": iso(now - timedelta(hours=1)), "end": iso(now + timedelta(minutes=1))}


def segments(client: TestClient, camera: int) -> list[dict[str, object]]:
    response = client.get(f"/api/playback/{camera}/segments", params=window())
    assert response.status_code == 200, response.text
    return list(response.json())


def frames_of(data: bytes) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


def test_timeline_merges_consecutive_segments(client: TestClient, site: Site) -> None:
    camera = site.cameras[CLOCK]
    segs = segments(client, camera)
    assert len(segs) >= 4
    assert all(s["codec"] == "h264" and s["width"] == 1280 for s in segs)
    assert segs[0]["fps"] == pytest.approx(25, abs=1)
    line = client.get(f"/api/playback/{camera}/timeline", params=window()).json()
    assert len(line["ranges"]) == 1  # back to back: one recorded range
    assert parse(line["ranges"][0]["start"]) == parse(str(segs[0]["start"]))
    assert parse(line["ranges"][0]["end"]) == parse(str(segs[-1]["end"]))
    assert line["events"] == []
    assert all("reason" in g for g in line["gaps"])


def test_media_from_any_instant_starts_at_the_keyframe_before_it(
    client: TestClient, site: Site
) -> None:
    camera = site.cameras[CLOCK]
    seg = segments(client, camera)[1]
    start, end = parse(str(seg["start"])), parse(str(seg["end"]))
    at = start + (end - start) * 0.6
    origin = start - timedelta(hours=12)
    began = time.monotonic()
    with client.stream(
        "GET",
        f"/api/playback/{camera}/media",
        params={"at": iso(at), "origin": iso(origin)},
    ) as response:
        chunks = response.iter_bytes()
        first = next(chunks)
        first_byte = time.monotonic() - began
        data = first + b"".join(chunks)
    assert response.status_code == 200
    assert first_byte < 1.0
    assert response.headers["x-mime"].startswith('video/mp4; codecs="avc1.64')
    assert parse(response.headers["x-segment-start"]) == start
    assert parse(response.headers["x-next-start"]) >= end - timedelta(seconds=1)
    frames = frames_of(data)
    times = [float(f.time or 0) for f in frames]
    at_s = (at - origin).total_seconds()
    assert frames[0].key_frame
    assert times[0] <= at_s + 0.05 and at_s - times[0] < 2.1  # GOP is 2 s
    assert times[-1] == pytest.approx((end - origin).total_seconds() - 0.04, abs=0.1)
    counters = [read_clock_counter(f.to_ndarray(format="gray")) for f in frames]
    steps = {(b - a) % 750 for a, b in itertools.pairwise(counters)}
    assert steps == {1}  # every recorded frame, in order, none lost or repeated


def test_consecutive_segments_line_up_on_one_timeline(client: TestClient, site: Site) -> None:
    camera = site.cameras[CLOCK]
    segs = segments(client, camera)
    origin = parse(str(segs[0]["start"])) - timedelta(minutes=5)
    parts = []
    for seg in segs[1:3]:
        response = client.get(
            f"/api/playback/{camera}/media", params={"at": seg["start"], "origin": iso(origin)}
        )
        assert response.status_code == 200
        parts.append(frames_of(response.content))
    gap = float(parts[1][0].time or 0) - float(parts[0][-1].time or 0)
    assert gap == pytest.approx(0.04, abs=0.1)
    last = read_clock_counter(parts[0][-1].to_ndarray(format="gray"))
    first = read_clock_counter(parts[1][0].to_ndarray(format="gray"))
    assert (first - last) % 750 == 1


def test_no_footage_answers_where_it_resumes(client: TestClient, site: Site) -> None:
    camera = site.cameras[CLOCK]
    first = segments(client, camera)[0]
    before = parse(str(first["start"])) - timedelta(minutes=1)
    response = client.get(
        f"/api/playback/{camera}/media",
        params={"at": iso(before), "origin": iso(before - timedelta(hours=1))},
    )
    assert response.status_code == 404
    assert parse(response.json()["next"]) == parse(str(first["start"]))
    late_origin = client.get(
        f"/api/playback/{camera}/media",
        params={"at": first["end"], "origin": iso(datetime.now(UTC))},
    )
    assert late_origin.status_code == 422
    too_wide = client.get(
        f"/api/playback/{camera}/timeline",
        params={"start": iso(before - timedelta(days=40)), "end": iso(before)},
    )
    assert too_wide.status_code == 422


def test_uptime_and_permissions(client: TestClient, site: Site) -> None:
    rows = {r["camera_id"]: r for r in client.get("/api/playback/uptime").json()}
    for camera in site.cameras.values():
        assert 0.3 < rows[camera]["day"] <= 1.0
        assert rows[camera]["week"] == rows[camera]["day"]  # the camera is minutes old
    with TestClient(site.wardeye.asgi(), headers=SAME_ORIGIN) as anonymous:
        camera = site.cameras[CLOCK]
        assert anonymous.get(f"/api/playback/{camera}/timeline", params=window()).status_code == 401


def test_outage_shows_as_a_gap_with_its_reason(
    client: TestClient, site: Site, simulator: RtspSimulator
) -> None:
    camera = site.cameras[CAM720]
    simulator.stop_stream("cam720")
    down = datetime.now(UTC)
    time.sleep(6)
    simulator.start_stream("cam720")

    def gap_closed() -> list[dict[str, str]]:
        line = client.get(f"/api/playback/{camera}/timeline", params=window()).json()
        return [
            g for g in line["gaps"] if g["end"] and parse(g["end"]) > down + timedelta(seconds=3)
        ]

    gaps = wait_for(gap_closed, 40, "recording to resume after the outage", every=0.5)
    assert any(g["reason"] for g in gaps)
    line = client.get(f"/api/playback/{camera}/timeline", params=window()).json()
    assert len(line["ranges"]) >= 2  # footage before and after the outage

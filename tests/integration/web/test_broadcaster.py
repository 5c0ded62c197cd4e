"""The live broadcaster as a PacketSink, fed real packets (clock_720p.mp4 read by the ingest's
own source, Annex-B with parameter sets in keyframes, as readers deliver them)."""

from __future__ import annotations

import asyncio
import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from wardeye.ingest.nal import with_parameter_sets
from wardeye.ingest.packets import CLOSED_STOPPED, MediaPacket, StreamInfo
from wardeye.ingest.sources import Connection, SourceOptions
from wardeye.live.broadcaster import LiveBroadcaster
from wardeye.live.feed import LiveFeed
from wardeye.live.messages import Fragment, InitSegment, LiveMessage, StreamStatus
from wardeye.live.snapshot import SnapshotMaker
from wardeye.testing.media import read_clock_counter

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def clip_packets(media: Path, count: int) -> tuple[StreamInfo, list[MediaPacket]]:
    with Connection((media / "clock_720p.mp4").as_uri(), SourceOptions()) as conn:
        params = conn.parameter_sets
        packets = []
        for raw in itertools.islice(conn.packets(), count):
            data = raw.data
            if raw.keyframe:
                data, params = with_parameter_sets(conn.codec, data, params)
            assert raw.dts is not None and raw.pts is not None
            at = T0 + timedelta(seconds=raw.dts / 90_000)
            packets.append(MediaPacket(data, raw.pts, raw.dts, 3600, raw.keyframe, at))
        info = StreamInfo(7, "main", conn.codec, conn.width, conn.height, conn.fps, params,
                          "file://clock_720p.mp4", 1)  # fmt: skip
    return info, packets


async def drain(feed: LiveFeed, timeout: float = 0.3) -> list[LiveMessage]:
    got: list[LiveMessage] = []
    while True:
        try:
            message = await asyncio.wait_for(feed.get(), timeout)
        except TimeoutError:
            return got
        if message is None:
            return got
        got.append(message)


def decode(messages: list[LiveMessage]) -> list[av.VideoFrame]:
    data = b"".join(m.data for m in messages if isinstance(m, InitSegment | Fragment))
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


def test_a_late_viewer_starts_at_the_last_keyframe(media: Path) -> None:
    """GOP of 50: a viewer arriving at packet 70 gets init + packets 50..69 at once, then live."""
    info, packets = clip_packets(media, 100)

    async def scenario() -> tuple[list[LiveMessage], list[LiveMessage]]:
        broadcaster = LiveBroadcaster(info.camera_id, info.stream)
        broadcaster.stream_opened(info)
        for packet in packets[:70]:
            broadcaster.packet(packet)
        feed = LiveFeed(asyncio.get_running_loop())
        broadcaster.add_feed(feed)
        joined = await drain(feed)
        for packet in packets[70:]:
            broadcaster.packet(packet)
        later = await drain(feed)
        assert broadcaster.state().viewers == 1
        broadcaster.remove_feed(feed)
        return joined, later

    joined, later = asyncio.run(scenario())
    assert isinstance(joined[0], InitSegment)
    assert joined[0].mime == 'video/mp4; codecs="avc1.64001f"'
    fragments = [m for m in joined if isinstance(m, Fragment)]
    assert len(fragments) == 20 and fragments[0].keyframe
    assert fragments[0].dts == packets[50].dts
    frames = decode(joined + later)
    assert len(frames) == 50
    counters = [read_clock_counter(f.to_ndarray(format="gray")) for f in frames]
    assert counters == list(range(50, 100))


def test_a_slow_viewer_skips_to_the_next_keyframe(media: Path) -> None:
    info, packets = clip_packets(media, 160)

    async def scenario() -> tuple[list[LiveMessage], int]:
        broadcaster = LiveBroadcaster(info.camera_id, info.stream)
        broadcaster.stream_opened(info)
        feed = LiveFeed(asyncio.get_running_loop(), max_bytes=200_000)
        broadcaster.add_feed(feed)
        got = await drain(feed, 0.05)  # the init segment
        for packet in packets[:120]:  # nobody reads: the queue overflows
            broadcaster.packet(packet)
        await asyncio.sleep(0.1)
        got += await drain(feed)
        for packet in packets[120:]:
            broadcaster.packet(packet)
        got += await drain(feed)
        return got, feed.dropped

    got, dropped = asyncio.run(scenario())
    fragments = [m for m in got if isinstance(m, Fragment)]
    assert isinstance(got[0], InitSegment)
    assert dropped > 0 and len(fragments) + dropped == 160
    assert fragments[0].keyframe
    # What is left is decodable from its first keyframe on: no broken references.
    frames = decode(got)
    assert len(frames) == len(fragments)


def test_stopped_reader_closes_viewers_and_reports_offline(media: Path) -> None:
    info, packets = clip_packets(media, 10)
    ended: list[LiveBroadcaster] = []

    async def scenario() -> list[LiveMessage | None]:
        broadcaster = LiveBroadcaster(info.camera_id, info.stream, on_ended=ended.append)
        broadcaster.stream_opened(info)
        feed = LiveFeed(asyncio.get_running_loop())
        broadcaster.add_feed(feed)
        for packet in packets:
            broadcaster.packet(packet)
        broadcaster.stream_closed("connection reset")  # camera dropped: viewer stays
        broadcaster.stream_closed(CLOSED_STOPPED)  # reader stopped: viewer is let go
        got: list[LiveMessage | None] = list(await drain(feed))
        got.append(await feed.get())
        return got

    got = asyncio.run(scenario())
    statuses = [m for m in got if isinstance(m, StreamStatus)]
    assert [s.reason for s in statuses] == ["connection reset", CLOSED_STOPPED]
    assert all(s.state == "offline" for s in statuses)
    assert got[-1] is None and len(ended) == 1


def test_snapshot_is_the_newest_frame(media: Path) -> None:
    info, packets = clip_packets(media, 80)
    broadcaster = LiveBroadcaster(info.camera_id, info.stream)
    maker = SnapshotMaker(broadcaster.gop_packets, max_width=640)
    assert maker.jpeg() is None
    broadcaster.stream_opened(info)
    for packet in packets[:63]:
        broadcaster.packet(packet)
    first = maker.jpeg()
    for packet in packets[63:]:
        broadcaster.packet(packet)
    second = maker.jpeg()
    assert first is not None and second is not None and first != second
    for jpeg, number in ((first, 62), (second, 79)):
        with av.open(io.BytesIO(jpeg), format="mjpeg") as container:
            frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)
        gray = frame.reformat(width=1280, height=720).to_ndarray(format="gray")
        assert read_clock_counter(gray) == number

"""Fan-out: a slow, failing or lagging sink never holds up the reader or the other sinks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from wardeye.ingest.fanout import FanOut
from wardeye.ingest.packets import CLOSED_OVERFLOW, MediaPacket, StreamInfo

INFO = StreamInfo(1, "main", "h264", 640, 360, 25.0, b"", "rtsp://cam", 1)
AT = datetime(2026, 11, 25, tzinfo=UTC)


def pkt(i: int, key: bool = False) -> MediaPacket:
    return MediaPacket(b"x" * 10, i * 3600, i * 3600, 3600, key, AT)


class Recording:
    """A sink that remembers what it got, optionally slowly."""

    def __init__(self, delay: float = 0.0, fail_every: int = 0) -> None:
        self.events: list[tuple[str, object]] = []
        self.delay = delay
        self.fail_every = fail_every
        self.gate = threading.Event()
        self.gate.set()

    def stream_opened(self, info: StreamInfo) -> None:
        self.events.append(("open", info.epoch))

    def packet(self, packet: MediaPacket) -> None:
        self.gate.wait()
        time.sleep(self.delay)
        self.events.append(("pkt", packet.dts // 3600))
        if self.fail_every and len(self.events) % self.fail_every == 0:
            raise RuntimeError("analytics bug")

    def stream_closed(self, reason: str) -> None:
        self.events.append(("close", reason))


def test_every_sink_gets_the_run_from_a_keyframe_in_order() -> None:
    fan = FanOut("cam")
    sink = Recording()
    fan.attach(sink, "rec")
    fan.opened(INFO)
    for i in range(3):
        fan.packet(pkt(i))  # before the first keyframe: dropped
    for i in range(3, 8):
        fan.packet(pkt(i, key=i == 3))
    fan.closed("stream ended")
    fan.stop()
    assert sink.events == [("open", 1), *[("pkt", i) for i in range(3, 8)],
                           ("close", "stream ended")]  # fmt: skip


def test_a_blocked_sink_does_not_block_the_reader_or_the_recorder() -> None:
    fan = FanOut("cam")
    recorder, stuck = Recording(), Recording()
    stuck.gate.clear()  # e.g. a browser socket that stopped reading
    fan.attach(recorder, "rec", max_queue=1000)
    fan.attach(stuck, "live", max_queue=10)
    fan.opened(INFO)
    started = time.monotonic()
    for i in range(500):
        fan.packet(pkt(i, key=i % 50 == 0))
    assert time.monotonic() - started < 0.5  # the reader never waited
    fan.closed("stopped")
    deadline = time.monotonic() + 5
    while len(recorder.events) < 502 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e for e in recorder.events if e[0] == "pkt"] == [("pkt", i) for i in range(500)]
    stats = fan.stats()
    assert stats["cam/live"].overflows > 0 and stats["cam/rec"].overflows == 0
    stuck.gate.set()
    fan.stop()


def test_a_lagging_sink_is_resynced_at_a_keyframe_with_close_then_open() -> None:
    fan = FanOut("cam")
    slow = Recording()
    slow.gate.clear()
    fan.attach(slow, "analytics", max_queue=5)
    fan.opened(INFO)
    fan.packet(pkt(0, key=True))
    time.sleep(0.05)  # the sink takes the open and blocks on packet 0
    for i in range(1, 30):
        fan.packet(pkt(i, key=i % 10 == 0))
    slow.gate.set()
    time.sleep(0.05)  # it catches up
    for i in range(30, 45):  # now at a pace it keeps up with
        fan.packet(pkt(i, key=i % 10 == 0))
        time.sleep(0.005)
    fan.closed("stopped")
    fan.stop()
    events = slow.events
    assert events[:3] == [("open", 1), ("pkt", 0), ("close", CLOSED_OVERFLOW)]
    assert events[-1] == ("close", "stopped")
    assert [e[1] for e in events if e[0] == "pkt"][1:] == list(range(30, 45))
    # after every overflow close, the next event is an open followed by a keyframe packet
    for n, event in enumerate(events):
        if event == ("close", CLOSED_OVERFLOW):
            assert events[n + 1] == ("open", 1)
            assert isinstance(events[n + 2][1], int) and events[n + 2][1] % 10 == 0
    dts = [e[1] for e in events if e[0] == "pkt"]
    assert dts == sorted(dts)


def test_a_raising_sink_keeps_receiving_and_others_are_unaffected() -> None:
    fan = FanOut("cam")
    buggy, good = Recording(fail_every=3), Recording()
    fan.attach(buggy, "buggy")
    fan.attach(good, "good")
    fan.opened(INFO)
    for i in range(20):
        fan.packet(pkt(i, key=i == 0))
    fan.closed("stopped")
    assert fan.stop()
    assert len([e for e in good.events if e[0] == "pkt"]) == 20
    assert len([e for e in buggy.events if e[0] == "pkt"]) == 20


def test_attached_mid_run_starts_at_the_next_keyframe_and_detach_closes() -> None:
    fan = FanOut("cam")
    fan.opened(INFO)
    fan.packet(pkt(0, key=True))
    late = Recording()
    detach = fan.attach(late, "late")
    fan.packet(pkt(1))
    fan.packet(pkt(2, key=True))
    fan.packet(pkt(3))
    detach()
    fan.packet(pkt(4, key=True))
    assert late.events == [("open", 1), ("pkt", 2), ("pkt", 3), ("close", "detached")]
    fan.stop()

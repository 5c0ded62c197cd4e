"""WardEye's RTSP client reads a camera in batches while only the recorder listens (each wake-up
of a reader costs more CPU than the packets it brings), and hands packets over as they arrive
while someone watches live. A real simulator camera and the real reader, fan-out and sink
thread."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from wardeye.config.models import ReconnectConfig
from wardeye.ingest.fanout import FanOut
from wardeye.ingest.health import HealthTracker
from wardeye.ingest.packets import MediaPacket, StreamInfo
from wardeye.ingest.reader import StreamReader
from wardeye.ingest.sources import SourceOptions
from wardeye.testing.rtsp_server import RtspSimulator

pytestmark = pytest.mark.rtsp


class Arrivals:
    """A sink that notes when each packet reaches it; says whether it wants low latency."""

    def __init__(self) -> None:
        self.wants_low_latency = False
        self._lock = threading.Lock()
        self._times: list[float] = []

    def stream_opened(self, info: StreamInfo) -> None:
        pass

    def packet(self, packet: MediaPacket) -> None:
        with self._lock:
            self._times.append(time.monotonic())

    def stream_closed(self, reason: str) -> None:
        pass

    def take(self) -> list[float]:
        with self._lock:
            times, self._times = self._times, []
        return times


def long_gaps(times: list[float], longer_than: float) -> int:
    return sum(1 for a, b in itertools.pairwise(times) if b - a > longer_than)


def test_reads_in_batches_unless_someone_watches(rtsp_server_session: RtspSimulator) -> None:
    fanout = FanOut("cadence")
    sink = Arrivals()
    fanout.attach(sink, "probe", max_queue=1000)  # no linger: arrivals show the reads
    options = SourceOptions(read_interval=0.5, live_read_interval=0.04)
    reader = StreamReader(1, "main", rtsp_server_session.url("cam720"), fanout,
                          HealthTracker(), ReconnectConfig(), options)  # fmt: skip
    reader.start()
    try:
        deadline = time.monotonic() + 15
        while not sink.take() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        sink.take()
        time.sleep(4.0)
        batched = sink.take()
        assert len(batched) > 60, "25 fps for 4 s"
        # Packets come in bursts twice a second: a pause of about 0.5 s between bursts.
        assert long_gaps(batched, 0.3) >= 5, batched

        sink.wants_low_latency = True  # a viewer arrived
        time.sleep(1.0)  # the pause already begun ends first
        sink.take()
        time.sleep(3.0)
        live = sink.take()
        assert len(live) > 50
        assert long_gaps(live, 0.3) == 0, "no half-second bursts while someone watches"
        assert long_gaps(live, 0.15) <= 2
    finally:
        reader.stop()
        reader.join(15)


class LastCapture(Arrivals):
    """Also keeps the capture time of the last packet."""

    def __init__(self) -> None:
        super().__init__()
        self.last_at: float | None = None
        self.closed = threading.Event()

    def packet(self, packet: MediaPacket) -> None:
        super().packet(packet)
        self.last_at = packet.at.timestamp()

    def stream_closed(self, reason: str) -> None:
        self.closed.set()  # after every packet the reader handed over


def test_a_stop_still_records_what_the_camera_already_sent(
    rtsp_server_session: RtspSimulator,
) -> None:
    fanout = FanOut("drain")
    sink = LastCapture()
    fanout.attach(sink, "probe", max_queue=1000)
    options = SourceOptions(read_interval=1.0)
    reader = StreamReader(1, "main", rtsp_server_session.url("cam720"), fanout,
                          HealthTracker(), ReconnectConfig(), options)  # fmt: skip
    reader.start()
    try:
        deadline = time.monotonic() + 15
        while len(sink.take()) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Wait for a batch to land, then stop 0.8 s later: most of a read interval of footage
        # is then waiting in the socket.
        while not sink.take():
            time.sleep(0.01)
        time.sleep(0.8)
        stopped_at = time.time()
    finally:
        reader.stop()
        assert reader.join(15)
    assert sink.closed.wait(15), "the sink's delivery thread never got to the end"
    assert sink.last_at is not None
    assert stopped_at - sink.last_at < 0.3, "the footage waiting in the socket was dropped"

"""The recorder-side end of the analytics pipe: a ``PacketSink`` that forwards compressed
packets to a worker process over a bounded queue and never blocks. When the queue is full the
oldest packet is dropped (the worker sees the gap in sequence numbers and resyncs at the next
keyframe); when the queue is unusable (its worker was killed) packets are dropped."""

from __future__ import annotations

import queue
import threading
from multiprocessing.queues import Queue
from typing import Any

from wardeye.ingest.packets import MediaPacket, StreamInfo


class Channel:
    """The current inbox of one worker; replaced when the worker restarts."""

    def __init__(self, inbox: Queue[Any]) -> None:
        self._lock = threading.Lock()
        self._inbox = inbox
        self.dropped = 0
        self.sent = 0

    def replace(self, inbox: Queue[Any]) -> None:
        with self._lock:
            self._inbox = inbox

    def send(self, message: tuple[Any, ...]) -> bool:
        inbox = self._inbox
        try:
            inbox.put_nowait(message)
        except queue.Full:
            try:
                inbox.get_nowait()  # drop the oldest to make room
                self.dropped += 1
            except (queue.Empty, OSError, ValueError):
                pass
            try:
                inbox.put_nowait(message)
            except (queue.Full, OSError, ValueError):
                self.dropped += 1
                return False
        except (OSError, ValueError):  # queue closed while the worker restarts
            self.dropped += 1
            return False
        self.sent += 1
        return True


class AnalyticsSink:
    """Feeds one camera stream into a worker's channel."""

    def __init__(self, camera_id: int, channel: Channel) -> None:
        self.camera_id = camera_id
        self.channel = channel
        self.codec: str | None = None
        self._seq = 0

    def stream_opened(self, info: StreamInfo) -> None:
        self.codec = info.codec
        self.channel.send(("open", self.camera_id, info.codec))

    def packet(self, packet: MediaPacket) -> None:
        self._seq += 1
        self.channel.send(
            (
                "packet",
                self.camera_id,
                self._seq,
                packet.data,
                packet.pts,
                packet.keyframe,
                packet.at,
            )
        )

    def stream_closed(self, reason: str) -> None:
        self.codec = None
        self.channel.send(("close", self.camera_id))

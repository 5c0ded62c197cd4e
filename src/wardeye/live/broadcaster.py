"""One camera stream to any number of viewers, from the single reader the recorder also uses.

The broadcaster is one more PacketSink on that reader: the camera is asked for the stream
once, however many people watch. It keeps the packets since the last keyframe so a new viewer
starts at once (from that keyframe) instead of waiting up to a GOP for the next one, and it
builds each fragment once for all viewers. While nobody watches it only keeps that GOP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from wardeye.ingest.packets import CLOSED_DETACHED, CLOSED_STOPPED, MediaPacket, StreamInfo
from wardeye.live.feed import LiveFeed, offer_to_all
from wardeye.live.messages import Fragment, InitSegment, LiveMessage, StreamStatus
from wardeye.mp4.codecs import UnsupportedCodec, decoder_config
from wardeye.mp4.fmp4 import Sample, Track, fragment, init_segment

log = logging.getLogger(__name__)
MAX_GOP_PACKETS = 600  # a camera with a very long GOP: stop caching rather than grow forever


@dataclass
class _GopEntry:
    packet: MediaPacket
    built: Fragment | None = None


@dataclass
class LiveState:
    """What the health page and the API report about a live stream."""

    camera_id: int
    stream: str
    state: str = "waiting"  # waiting | live | offline | unsupported | withdrawn
    reason: str = ""
    codec: str = ""
    width: int = 0
    height: int = 0
    viewers: int = 0
    last_packet_at: datetime | None = None
    packets: int = 0


@dataclass
class LiveBroadcaster:
    """PacketSink for one (camera, stream); fans fragments out to LiveFeeds."""

    camera_id: int
    stream: str
    on_viewers_changed: Callable[[LiveBroadcaster, int], None] | None = None
    on_ended: Callable[[LiveBroadcaster], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _feeds: list[LiveFeed] = field(default_factory=list, init=False)
    _init: InitSegment | None = field(default=None, init=False)
    _gop: list[_GopEntry] = field(default_factory=list, init=False)
    _sequence: int = field(default=0, init=False)
    _info: StreamInfo | None = field(default=None, init=False)
    _status: LiveState = field(init=False)
    _withdrawn: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._status = LiveState(self.camera_id, self.stream)

    # -- PacketSink, called on the reader's delivery thread --------------------------------
    def stream_opened(self, info: StreamInfo) -> None:
        with self._lock:
            if self._withdrawn is not None:
                return
            self._info, self._gop = info, []
            try:
                config = decoder_config(info.codec, info.parameter_sets)
            except UnsupportedCodec as exc:
                self._init = None
                self._set_state("unsupported", str(exc))
                self._send(StreamStatus("unsupported", str(exc)))
                return
            track = Track(config, info.width, info.height)
            self._init = InitSegment(
                init_segment(track), track.mime, config.mime_codec, info.width, info.height,
                info.epoch,
            )  # fmt: skip
            self._status.codec, self._status.width, self._status.height = (
                config.mime_codec,
                info.width,
                info.height,
            )
            self._set_state("live", "")
            self._send(self._init)

    def packet(self, packet: MediaPacket) -> None:
        with self._lock:
            if self._init is None or self._withdrawn is not None:
                return
            self._status.packets += 1
            self._status.last_packet_at = packet.at
            if packet.keyframe:
                self._gop = []
            if len(self._gop) < MAX_GOP_PACKETS:
                entry = _GopEntry(packet)
                self._gop.append(entry)
            else:
                entry = _GopEntry(packet)
            if self._feeds:
                self._send(self._built(entry))

    def stream_closed(self, reason: str) -> None:
        """A camera that drops stays attached (its reader reconnects). A reader that was
        stopped (camera removed, URL changed, shutdown) is gone for good: viewers are closed
        so their players reconnect to whatever reads the camera now."""
        ended = reason in (CLOSED_STOPPED, CLOSED_DETACHED)
        with self._lock:
            if self._withdrawn is not None:
                return
            self._init, self._gop = None, []
            self._set_state("offline", reason)
            self._send(StreamStatus("offline", reason))
            feeds = list(self._feeds) if ended else []
        for feed in feeds:
            feed.close()
        if ended and self.on_ended is not None:
            self.on_ended(self)

    @property
    def wants_low_latency(self) -> bool:
        """Someone is watching: the reader should hand packets over as they arrive (read by
        FanOut.low_latency_wanted)."""
        return bool(self._feeds)

    def withdraw(self, reason: str) -> None:
        """The camera's video may no longer be shown (its owner withdrew consent, it was
        disabled): tell every viewer why and end their feeds now, without waiting for the
        reader to stop. Nothing is sent after this, and later viewers get only the notice."""
        with self._lock:
            if self._withdrawn is not None:
                return
            self._withdrawn = reason
            self._init, self._gop, self._info = None, [], None
            self._set_state("withdrawn", reason)
            self._send(StreamStatus("withdrawn", reason))
            feeds, self._feeds = list(self._feeds), []
            self._status.viewers = 0
        for feed in feeds:
            feed.close()

    @property
    def withdrawn(self) -> str | None:
        """Why the stream was withdrawn (the socket closes with 4403), or None."""
        return self._withdrawn

    # -- viewers, called on the event loop ---------------------------------------------------
    def add_feed(self, feed: LiveFeed) -> None:
        """Start a viewer at the last keyframe: init segment plus the GOP so far."""
        with self._lock:
            if self._withdrawn is not None:
                feed.offer_threadsafe(StreamStatus("withdrawn", self._withdrawn))
                feed.close()
                return
            self._feeds.append(feed)
            self._status.viewers = len(self._feeds)
            if self._init is not None:
                feed.offer_threadsafe(self._init)
                for entry in self._gop:
                    feed.offer_threadsafe(self._built(entry))
            elif self._status.state in ("offline", "unsupported"):
                feed.offer_threadsafe(StreamStatus(self._status.state, self._status.reason))
            count = len(self._feeds)
        if self.on_viewers_changed is not None:
            self.on_viewers_changed(self, count)

    def remove_feed(self, feed: LiveFeed) -> None:
        self.release_feed(feed)
        feed.close()

    def release_feed(self, feed: LiveFeed) -> None:
        """Stop sending to ``feed`` but leave it open (it moves to another broadcaster, e.g.
        when a privacy mask is drawn on the camera it watches)."""
        with self._lock:
            if feed in self._feeds:
                self._feeds.remove(feed)
            count = self._status.viewers = len(self._feeds)
        if self.on_viewers_changed is not None:
            self.on_viewers_changed(self, count)

    def state(self) -> LiveState:
        with self._lock:
            return LiveState(**vars(self._status))

    def gop_packets(self) -> tuple[StreamInfo | None, list[MediaPacket]]:
        """The stream facts and packets since the last keyframe (for snapshots)."""
        with self._lock:
            return self._info, [e.packet for e in self._gop]

    # -- internals (lock held) ---------------------------------------------------------------
    def _built(self, entry: _GopEntry) -> Fragment:
        if entry.built is None:
            p = entry.packet
            self._sequence += 1
            data = fragment(self._sequence, [Sample(p.data, p.dts, p.pts, p.duration, p.keyframe)])
            entry.built = Fragment(data, p.keyframe, p.dts, p.at)
        return entry.built

    def _send(self, message: LiveMessage) -> None:
        if self._feeds:
            offer_to_all(self._feeds, message)

    def _set_state(self, state: str, reason: str) -> None:
        self._status.state, self._status.reason = state, reason

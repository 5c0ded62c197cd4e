"""Masked live view: what viewers without the ``unmask`` right watch.

One ``MaskedStream`` per camera stream, shared by all its masked viewers. While the camera has
no enabled mask it costs nothing: viewers are handed to the original broadcaster. With masks,
one ``MaskingSink`` on the camera's reader decodes, blacks the masks out and encodes
(privacy.transcode) into a broadcaster of its own, which builds fragments once for all masked
viewers, as the original does. The encoder runs only while a masked viewer watches; it starts
from the original's cached group of pictures, so a new viewer sees a picture at once. When
masks are drawn or removed, viewers move between the two without reconnecting (the player
gets a new init segment)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from wardeye.ingest.nal import parameter_sets
from wardeye.ingest.packets import MediaPacket, PacketSink, StreamInfo
from wardeye.live.broadcaster import LiveBroadcaster, LiveState
from wardeye.live.feed import LiveFeed
from wardeye.live.messages import StreamStatus
from wardeye.live.snapshot import GopSource
from wardeye.live.tap import Attachment
from wardeye.privacy.masks import Mask
from wardeye.privacy.transcode import MaskingTranscoder

log = logging.getLogger(__name__)
MaskSource = Callable[[], Sequence[Mask]]
AttachSink = Callable[[PacketSink, str], Attachment | None]
UNAVAILABLE = "the masked picture cannot be made now"


class MaskingSink:
    """PacketSink on the camera's reader (its own delivery thread): masked packets into
    ``out``. Re-reads the masks at every keyframe, so a change made by another process shows
    within one group of pictures."""

    def __init__(self, out: LiveBroadcaster, masks: MaskSource, seed: GopSource | None) -> None:
        self._out = out
        self._masks = masks
        self._seed = seed
        self._lock = threading.Lock()
        self._info: StreamInfo | None = None
        self._transcoder: MaskingTranscoder | None = None
        self._out_open = False
        self._last_dts: int | None = None
        self._closed = False

    @property
    def wants_low_latency(self) -> bool:
        return self._out.wants_low_latency

    def set_masks(self, masks: Sequence[Mask]) -> None:
        with self._lock:
            if self._transcoder is not None:
                self._transcoder.masks = tuple(masks)

    def start_from_cache(self) -> None:
        """Mask the original's cached GOP now, so the first viewer need not wait for the
        camera's next keyframe. Runs on a helper thread; live packets wait for it."""
        if self._seed is None:
            return
        info, gop = self._seed()
        with self._lock:
            if info is None or not gop or self._closed or self._info is not None:
                return
            self._open(info)
            for packet in gop:
                self._feed(packet)

    def stream_opened(self, info: StreamInfo) -> None:
        with self._lock:
            if self._info is not None and self._info.epoch == info.epoch:
                return  # the run the cached GOP came from: carry on from it
            self._open(info)

    def packet(self, packet: MediaPacket) -> None:
        with self._lock:
            if self._transcoder is None:
                return
            if self._last_dts is not None and packet.dts <= self._last_dts:
                return  # already masked from the cached GOP
            if packet.keyframe:
                self._transcoder.masks = tuple(self._masks())
            self._feed(packet)

    def stream_closed(self, reason: str) -> None:
        with self._lock:
            self._closed = True
            self._info, self._transcoder, self._last_dts = None, None, None
            self._out_open = False
        self._out.stream_closed(reason)

    # -- lock held ------------------------------------------------------------------------------
    def _open(self, info: StreamInfo) -> None:
        self._closed = False
        self._info, self._last_dts, self._out_open = info, None, False
        self._transcoder = MaskingTranscoder(info.codec, self._masks())

    def _feed(self, packet: MediaPacket) -> None:
        assert self._transcoder is not None and self._info is not None
        self._last_dts = packet.dts
        for masked in self._transcoder.feed(packet):
            if not self._out_open:
                if not masked.keyframe:
                    continue
                self._out.stream_opened(self._masked_info(self._info, masked))
                self._out_open = True
            self._out.packet(masked)

    @staticmethod
    def _masked_info(info: StreamInfo, first: MediaPacket) -> StreamInfo:
        return replace(info, codec="h264", parameter_sets=parameter_sets("h264", first.data))


class MaskedStream:
    """The masked side of one camera stream; the live route uses it like a broadcaster
    (``add_feed``, ``remove_feed``, ``withdrawn``)."""

    def __init__(
        self,
        original: LiveBroadcaster,
        attach: AttachSink,
        masks: MaskSource,
        on_viewers_changed: Callable[[], None] | None = None,
    ) -> None:
        self._original = original
        self._attach = attach
        self._masks = masks
        self._on_viewers_changed = on_viewers_changed
        self._lock = threading.RLock()
        self._feeds: list[LiveFeed] = []
        self._encoded: LiveBroadcaster | None = None  # None: passing the original through
        self._sink: MaskingSink | None = None
        self._detach: Callable[[], None] | None = None
        self._withdrawn: str | None = None
        self._failed = False  # masks exist but the encoder could not be attached

    @property
    def camera_id(self) -> int:
        return self._original.camera_id

    @property
    def stream(self) -> str:
        return self._original.stream

    @property
    def withdrawn(self) -> str | None:
        return self._withdrawn

    @property
    def encoding(self) -> bool:
        """Whether an encoder runs now (masks exist and someone watches)."""
        return self._encoded is not None

    @property
    def encoded_viewers(self) -> int:
        """Viewers of the masked encoder (passed-through viewers count on the original).
        Read without the lock: the hub asks while holding its own."""
        return len(self._feeds) if self._encoded is not None else 0

    def state(self) -> LiveState:
        with self._lock:
            source = self._encoded or self._original
        return source.state()

    def add_feed(self, feed: LiveFeed) -> None:
        with self._lock:
            if self._withdrawn is not None:
                _refuse(feed, "withdrawn", self._withdrawn)
                return
            self._sync(list(self._masks()))
            if self._unavailable():
                _refuse(feed, "offline", UNAVAILABLE)
                return
            self._feeds.append(feed)
            (self._encoded or self._original).add_feed(feed)
        self._viewers_changed()

    def remove_feed(self, feed: LiveFeed) -> None:
        with self._lock:
            target = self._encoded or self._original
            if feed in self._feeds:
                self._feeds.remove(feed)
            target.remove_feed(feed)
            if not self._feeds:
                self._stop()
        self._viewers_changed()

    def masks_changed(self) -> None:
        """Masks were drawn, edited or removed: mask (or stop masking) the open streams now."""
        with self._lock:
            if not self._feeds or self._withdrawn is not None:
                return
            self._sync(list(self._masks()))
        self._viewers_changed()

    def withdraw(self, reason: str) -> None:
        """End every masked viewer with the notice (the original is withdrawn separately)."""
        with self._lock:
            self._withdrawn = reason
            feeds, self._feeds = list(self._feeds), []
            encoded = self._encoded
            if encoded is None:
                for feed in feeds:
                    self._original.release_feed(feed)
            else:
                # Tell the viewers first: stopping the encoder would end them as "offline".
                encoded.withdraw(reason)
            self._stop()
        if encoded is None:
            for feed in feeds:
                _refuse(feed, "withdrawn", reason)

    def close(self) -> None:
        """The original's reader ended for good: stop encoding (its feeds end with it)."""
        with self._lock:
            self._feeds = []
            self._stop()

    # -- lock held ------------------------------------------------------------------------------
    def _sync(self, masks: Sequence[Mask]) -> None:
        """Encode while there are masks, pass the original through while there are none;
        viewers already watching move to whichever is now right. If masks exist but the
        encoder cannot run, the viewers are refused: never the unmasked picture instead."""
        if masks and self._sink is not None:
            self._sink.set_masks(masks)
            return
        if not masks and self._encoded is None:
            self._failed = False
            return
        source = self._encoded or self._original
        for feed in self._feeds:
            source.release_feed(feed)
        if masks:
            self._start(masks)
        else:
            self._stop()
        if self._unavailable():
            feeds, self._feeds = self._feeds, []
            for feed in feeds:
                _refuse(feed, "offline", UNAVAILABLE)
            return
        target = self._encoded or self._original
        for feed in self._feeds:
            target.add_feed(feed)

    def _unavailable(self) -> bool:
        return self._failed and self._encoded is None

    def _start(self, masks: Sequence[Mask]) -> None:
        encoded = LiveBroadcaster(self.camera_id, self.stream)
        sink = MaskingSink(encoded, self._masks, self._original.gop_packets)
        attachment = self._attach(sink, "live-masked")
        if attachment is None:
            log.warning("live: camera %d/%s cannot be masked (not available)", self.camera_id,
                        self.stream)  # fmt: skip
            self._failed = True
            return
        log.info("live: masking camera %d/%s (%d masks)", self.camera_id, self.stream,
                 len(masks))  # fmt: skip
        self._failed = False
        self._encoded, self._sink, self._detach = encoded, sink, attachment.detach
        threading.Thread(target=sink.start_from_cache, name="live-mask-seed", daemon=True).start()

    def _stop(self) -> None:
        detach, self._detach = self._detach, None
        self._encoded, self._sink, self._failed = None, None, False
        if detach is not None:
            log.info("live: camera %d/%s no longer masked for anyone; encoder stopped",
                     self.camera_id, self.stream)  # fmt: skip
            # Detaching waits for the sink's queue to drain: never on the caller's event loop.
            threading.Thread(target=detach, name="live-mask-stop", daemon=True).start()

    def _viewers_changed(self) -> None:
        if self._on_viewers_changed is not None:
            self._on_viewers_changed()


def _refuse(feed: LiveFeed, state: str, reason: str) -> None:
    feed.offer_threadsafe(StreamStatus(state, reason))
    feed.close()

"""Still pictures of a live stream: for browsers without Media Source Extensions (an MJPEG
fallback), map pop-ups and thumbnails. The newest picture is decoded from the broadcaster's
cached GOP; the decoder is kept between calls so each call only decodes the packets that came
in since the last one, and nothing is decoded while nobody asks.

Masked and unmasked pictures share the decoding; privacy masks are blacked out of the scaled
picture just before JPEG encoding. ``SnapshotView`` is what routes get: masked by default."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from fractions import Fraction

import av
import av.video.frame

from wardeye.ingest.packets import MediaPacket, StreamInfo
from wardeye.privacy.masks import Mask
from wardeye.privacy.picture import black_out

GopSource = Callable[[], tuple[StreamInfo | None, list[MediaPacket]]]
MaskSource = Callable[[], Sequence[Mask]]
JpegKey = tuple[tuple[tuple[float, float], ...], ...]


class SnapshotMaker:
    """Thread-safe; one per live stream."""

    def __init__(self, source: GopSource, max_width: int = 1280, quality: int = 5) -> None:
        self._source = source
        self._max_width = max_width
        self._quality = quality
        self._lock = threading.Lock()
        self._decoder: av.VideoCodecContext | None = None
        self._key: MediaPacket | None = None  # keyframe the decoder started from
        self._fed = 0  # packets of that GOP already decoded
        self._frame: av.video.frame.VideoFrame | None = None
        self._jpegs: dict[JpegKey, tuple[int, bytes]] = {}  # masks → (packets decoded, jpeg)
        self._encoded = 0
        self._ended: str | None = None

    @property
    def ended(self) -> str | None:
        """Why no more pictures will come (consent withdrawn, camera disabled), or None."""
        return self._ended

    def end(self, reason: str) -> None:
        with self._lock:
            self._ended = reason
            self._decoder, self._key, self._frame, self._jpegs = None, None, None, {}

    def jpeg(self, masks: Sequence[Mask] = ()) -> bytes | None:
        """The newest picture as JPEG with ``masks`` blacked out, or None when the stream has
        not shown a keyframe yet (or has ended)."""
        with self._lock:
            if self._ended is not None:
                return None
            info, gop = self._source()
            if info is None or not gop:
                return None
            if self._decoder is None or self._key is not gop[0]:
                self._restart(info, gop[0])
            for packet in gop[self._fed :]:
                self._decode(packet)
            self._fed = len(gop)
            if self._frame is None:
                return None
            key: JpegKey = tuple(m.points for m in masks)
            cached = self._jpegs.get(key)
            if cached is None or cached[0] != self._fed:
                if len(self._jpegs) > 8:
                    self._jpegs.clear()
                cached = self._jpegs[key] = (self._fed, self._encode(self._frame, masks))
            return cached[1]

    def _restart(self, info: StreamInfo, key: MediaPacket) -> None:
        decoder = av.CodecContext.create(info.codec, "r")
        assert isinstance(decoder, av.VideoCodecContext)
        self._decoder = decoder
        self._decoder.thread_count = 1
        self._key, self._fed, self._frame, self._jpegs = key, 0, None, {}

    def _decode(self, packet: MediaPacket) -> None:
        assert self._decoder is not None
        try:
            frames = self._decoder.decode(av.Packet(packet.data))
        except av.error.FFmpegError:
            return  # a damaged packet: keep the last good picture
        for frame in frames:
            if isinstance(frame, av.video.frame.VideoFrame):
                self._frame = frame

    def _encode(self, frame: av.video.frame.VideoFrame, masks: Sequence[Mask]) -> bytes:
        width, height = frame.width, frame.height
        if width > self._max_width:
            height = round(height * self._max_width / width / 2) * 2
            width = self._max_width
        encoder = av.CodecContext.create("mjpeg", "w")
        assert isinstance(encoder, av.VideoCodecContext)
        encoder.width, encoder.height = width, height
        encoder.pix_fmt = "yuvj420p"
        encoder.time_base = Fraction(1, 25)
        encoder.qmin = encoder.qmax = self._quality
        picture = black_out(frame.reformat(width=width, height=height, format="yuvj420p"), masks)
        self._encoded += 1
        picture.pts = self._encoded
        packets = encoder.encode(picture) + encoder.encode(None)
        return b"".join(bytes(p) for p in packets)


class SnapshotView:
    """One stream's pictures as a route sees them: masked unless built with ``masks=None``
    (a viewer with the unmask right who asked for it)."""

    def __init__(self, maker: SnapshotMaker, masks: MaskSource | None) -> None:
        self._maker = maker
        self._masks = masks

    @property
    def ended(self) -> str | None:
        return self._maker.ended

    @property
    def masked(self) -> bool:
        return self._masks is not None

    def jpeg(self) -> bytes | None:
        return self._maker.jpeg(() if self._masks is None else self._masks())

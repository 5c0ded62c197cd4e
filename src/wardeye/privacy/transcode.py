"""Camera packets in, masked H.264 packets out: decode, black the masks out, encode.

Used for masked live view (one per camera stream, shared by every masked viewer). Each output
packet keeps its source packet's timestamps, duration and capture time, so the masked stream
lines up with the original and the live delay can be compared picture by picture."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import av
import av.video.frame

from wardeye.ingest.packets import MediaPacket
from wardeye.privacy.encoder import MaskEncoder
from wardeye.privacy.masks import Mask
from wardeye.privacy.picture import black_out

log = logging.getLogger(__name__)
MAX_PENDING = 64  # source packets whose picture the decoder has not returned yet


class MaskingTranscoder:
    """Not thread-safe: one delivery thread feeds it."""

    def __init__(self, codec: str, masks: Sequence[Mask], crf: int | None = None) -> None:
        decoder = av.CodecContext.create(codec, "r")
        assert isinstance(decoder, av.VideoCodecContext)
        decoder.thread_count = 1  # frame threads would hold pictures back: latency
        self._decoder = decoder
        self._encoder = MaskEncoder() if crf is None else MaskEncoder(crf)
        self.masks: tuple[Mask, ...] = tuple(masks)
        self._pending: dict[int, MediaPacket] = {}
        self.errors = 0

    def feed(self, packet: MediaPacket) -> list[MediaPacket]:
        """The masked packets this source packet completes (usually exactly one)."""
        self._pending[packet.pts] = packet
        if len(self._pending) > MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        try:
            frames = self._decoder.decode(av.Packet(packet.data))
        except av.error.FFmpegError:
            self.errors += 1
            return []  # a damaged packet: the next ones decode again from the references
        out: list[MediaPacket] = []
        for frame in frames:
            if isinstance(frame, av.video.frame.VideoFrame):
                out.extend(self._encode(frame))
        return out

    def _encode(self, frame: av.video.frame.VideoFrame) -> list[MediaPacket]:
        # Without container timestamps the decoder hands pictures back in presentation order:
        # the oldest pending source packet by pts is the one this picture came from.
        if not self._pending:
            return []
        pts = min(self._pending)
        source = self._pending.pop(pts)
        masked = black_out(frame, self.masks)
        keyframe = source.keyframe or bool(frame.key_frame)
        return [
            replace(source, data=p.data, pts=p.pts, dts=p.dts, keyframe=p.keyframe)
            for p in self._encoder.encode(masked, source.pts, keyframe)
        ]

"""H.264 encoding of masked pictures, for live view and playback.

libx264 with the ``ultrafast`` preset and ``zerolatency`` tuning: one packet out per picture in,
no look-ahead, no B-frames, so masking adds only the encode time to the live delay. A keyframe is
forced wherever the source had one (same GOP as the camera), so a viewer joining the masked
stream waits no longer than for the camera's own stream, and every keyframe repeats SPS/PPS
so any keyframe is a valid place to start (as ingest promises for camera packets)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import av.video.frame
from av.video.frame import PictureType

from wardeye.ingest.packets import CLOCK_RATE

# Long enough that x264 never picks a keyframe of its own; the source's keyframes are forced.
X264_PARAMS = "repeat-headers=1:keyint=600:min-keyint=600:scenecut=0:forced-idr=1"
CRF = 26  # a little below x264's default quality: masked streams go to many phones


@dataclass(frozen=True, slots=True)
class EncodedPicture:
    """One access unit, Annex-B, timestamps in 90 kHz ticks."""

    data: bytes
    pts: int
    dts: int
    keyframe: bool


class MaskEncoder:
    """Encodes pictures of one size; a new size (or pixel format) starts a new encoder."""

    def __init__(self, crf: int = CRF, threads: int = 0) -> None:
        self._crf = crf
        self._threads = threads
        self._context: av.VideoCodecContext | None = None
        self._size: tuple[int, int] = (0, 0)
        self._last_pts: int | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def encode(
        self, frame: av.video.frame.VideoFrame, pts: int, keyframe: bool
    ) -> list[EncodedPicture]:
        """``pts`` in 90 kHz ticks; ``keyframe`` forces an IDR picture."""
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        if self._context is None or self._size != (frame.width, frame.height):
            self._open(frame.width, frame.height)
        assert self._context is not None
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # x264 refuses a timestamp that does not move forward
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = self._context.time_base
        frame.pict_type = PictureType.I if keyframe else PictureType.NONE
        return self._pictures(self._context.encode(frame))

    def flush(self) -> list[EncodedPicture]:
        if self._context is None:
            return []
        pictures = self._pictures(self._context.encode(None))
        self._context, self._last_pts, self._size = None, None, (0, 0)
        return pictures

    def _open(self, width: int, height: int) -> None:
        context = av.CodecContext.create("libx264", "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width, context.height = width, height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, CLOCK_RATE)
        context.thread_count = self._threads
        context.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "crf": str(self._crf),
            "x264-params": X264_PARAMS,
        }
        self._context, self._size, self._last_pts = context, (width, height), None

    @staticmethod
    def _pictures(packets: list[av.Packet[Any]]) -> list[EncodedPicture]:
        out: list[EncodedPicture] = []
        for packet in packets:
            if packet.size == 0 or packet.pts is None:
                continue
            dts = packet.dts if packet.dts is not None else packet.pts
            out.append(EncodedPicture(bytes(packet), packet.pts, dts, packet.is_keyframe))
        return out

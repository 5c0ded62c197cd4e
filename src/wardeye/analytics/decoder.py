"""Decode a camera's compressed packets (Annex-B H.264/H.265, as readers emit them) and keep
only frames ``1/fps`` apart, by capture time. Every packet must be decoded (later frames
depend on earlier ones); only the sampled ones are converted to BGR and analysed."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime

import av
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
Frame = npt.NDArray[np.uint8]
PENDING = 64  # pts → capture time entries kept for frames still inside the decoder


class SampledDecoder:
    def __init__(self, codec: str, fps: float) -> None:
        context = av.CodecContext.create(codec, "r")
        assert isinstance(context, av.VideoCodecContext)
        self._context = context
        self._context.thread_type = "SLICE"  # frame threads add latency and memory per camera
        self._interval = 1.0 / fps
        self._last: datetime | None = None
        self._times: OrderedDict[int, datetime] = OrderedDict()
        self._waiting_keyframe = True
        self.decoded = 0
        self.errors = 0

    def resync(self) -> None:
        """Packets were lost: drop everything until the next keyframe."""
        self._waiting_keyframe = True

    def decode(
        self, data: bytes, pts: int, keyframe: bool, at: datetime
    ) -> list[tuple[Frame, datetime]]:
        if self._waiting_keyframe and not keyframe:
            return []
        self._waiting_keyframe = False
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        self._times[pts] = at
        while len(self._times) > PENDING:
            self._times.popitem(last=False)
        try:
            frames = self._context.decode(packet)
        except av.FFmpegError as exc:
            self.errors += 1
            log.debug("decode error (resync at next keyframe): %s", exc)
            self._waiting_keyframe = True
            return []
        out: list[tuple[Frame, datetime]] = []
        for frame in frames:
            self.decoded += 1
            when = self._times.pop(frame.pts, at) if frame.pts is not None else at
            if self._last is not None:
                gap = (when - self._last).total_seconds()
                if 0 <= gap < self._interval * 0.95:
                    continue
            self._last = when
            out.append((np.asarray(frame.to_ndarray(format="bgr24"), np.uint8), when))
        return out

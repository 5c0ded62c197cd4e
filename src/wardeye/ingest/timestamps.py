"""Turn a camera's timestamps into one timeline that only moves forward.

Cameras reset their clock on reboot, jump when NTP corrects them, and a looped file starts again
at zero; the first RTSP packets may carry no DTS at all. Muxers refuse timestamps that go back,
and a recording must not claim a 3-second jump it did not see. So: a normal step is kept as is;
a step back, a zero step, or a jump far bigger than the time that really passed between arrivals
is replaced by one frame duration, and the camera's clock is followed again from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from wardeye.ingest.packets import CLOCK_RATE

DEFAULT_FRAME_TICKS = CLOCK_RATE // 25
MAX_STEP_TICKS = 10 * CLOCK_RATE  # longer steps are never trusted
TRUSTED_SKEW_TICKS = CLOCK_RATE  # a step may exceed the arrival gap by this much


@dataclass(frozen=True, slots=True)
class Stamped:
    pts: int
    dts: int
    duration: int
    discontinuity: bool  # True when this packet's step was replaced


class TimestampNormalizer:
    """Per-connection state; call :meth:`push` for each packet (90 kHz ticks in and out)."""

    def __init__(self, frame_ticks: int = DEFAULT_FRAME_TICKS, start: int = 0) -> None:
        self._frame = max(1, frame_ticks)
        self._next_start = start
        self._last_in: int | None = None
        self._last_out: int | None = None
        self._last_arrival: float | None = None
        self._offset = 0

    @property
    def frame_ticks(self) -> int:
        """Current estimate of one frame's duration (from the last normal steps)."""
        return self._frame

    @property
    def last_dts(self) -> int | None:
        return self._last_out

    def push(
        self, pts: int | None, dts: int | None, arrival: float | None = None
    ) -> Stamped | None:
        """Map one packet. ``arrival`` (monotonic seconds) enables the jump check against real
        elapsed time; paced file sources pass None. Returns None for a packet that cannot be
        placed (no timestamp at all before the first good one)."""
        if dts is None:
            dts = pts if pts is not None else self._guess_dts()
        if dts is None:
            return None
        if pts is None:
            pts = dts
        discontinuity = False
        if self._last_in is None or self._last_out is None:
            self._offset = self._next_start - dts
        else:
            step = dts - self._last_in
            if self._trusted(step, arrival):
                if step <= CLOCK_RATE:
                    self._frame = step
            else:
                self._offset = self._last_out + self._frame - dts
                discontinuity = True
        out_dts = dts + self._offset
        self._last_in, self._last_out, self._last_arrival = dts, out_dts, arrival
        return Stamped(max(pts + self._offset, out_dts), out_dts, self._frame, discontinuity)

    def expect_fps(self, fps: float | None) -> None:
        """The stream's declared frame rate (SDP, container): the first packet's duration until
        real steps are seen. Without it the first frame of a 10 fps camera would last 1/25 s
        and leave a hole before the second, where a browser's player stalls."""
        if fps is not None and 1.0 <= fps <= 120.0:
            self._frame = round(CLOCK_RATE / fps)

    def restart(self) -> None:
        """A new connection: its first packet continues one frame after the last one seen."""
        if self._last_out is not None:
            self._next_start = self._last_out + self._frame
        self._last_in = None
        self._last_out = None
        self._last_arrival = None

    def _guess_dts(self) -> int | None:
        return None if self._last_in is None else self._last_in + self._frame

    def _trusted(self, step: int, arrival: float | None) -> bool:
        if step <= 0 or step > MAX_STEP_TICKS:
            return False
        if arrival is None or self._last_arrival is None or step <= CLOCK_RATE:
            return True
        waited = max(0.0, arrival - self._last_arrival) * CLOCK_RATE
        return step - waited <= TRUSTED_SKEW_TICKS


class WallClock:
    """Estimates when each packet was captured, in UTC: ``base + dts``.

    A packet cannot arrive before it was captured, so ``base`` follows the smallest
    ``arrival - dts`` seen on the connection: the packet with the least delay fixes the mapping.
    That undoes the burst many servers send at connect (a second of buffered GOP arriving at
    once), which would otherwise make the whole connection look late. ``base`` creeps slowly
    towards later arrivals so a camera clock that runs slow is followed, and jumps when the
    arrivals lag by more than ``max_lag`` seconds (a long stall). Estimates may step back a little
    as they improve; consumers that need order (the segmenter) keep their own floor.

    The creep follows the smallest lag of each second, not every packet: a reader that takes a
    camera's packets in batches (WardEye's RTSP client reads every 0.5 s) sees most of them
    arrive up to a batch late, and creeping on each would make the estimate wobble by
    milliseconds per segment, enough for segments' wall-clock spans to disagree with their
    playing time."""

    CREEP = 1 / 80  # share of the smallest lag taken up per second (~80 ms at 0.1 % clock skew)
    WINDOW = 1.0  # seconds over which that smallest lag is taken

    def __init__(self, max_lag: float = 2.0) -> None:
        self._max_lag = max_lag
        self._base: float | None = None  # epoch seconds at dts 0; floats: this runs per packet
        self._last: float | None = None
        self._window_start = 0.0  # arrival time at which the current window began
        self._window_min = math.inf  # smallest arrival - dts in the current window
        self.reanchored = 0

    def restart(self) -> None:
        """A new connection: its clock has nothing to do with the last one's."""
        self._base = None

    def at(self, dts: int, arrived: float) -> datetime:
        """Capture time of a packet with ``dts`` that arrived at ``arrived`` (epoch seconds,
        ``time.time()``)."""
        offset = dts / CLOCK_RATE
        candidate = arrived - offset
        base = self._base
        if base is None or candidate - base > self._max_lag:
            if base is not None:
                self.reanchored += 1
            if base is None and self._last is not None:
                candidate = max(candidate, self._last - offset)
            base = candidate
            self._window_start, self._window_min = arrived, math.inf
        elif candidate < base:
            base = candidate
        else:
            self._window_min = min(self._window_min, candidate)
            elapsed = arrived - self._window_start
            if elapsed >= self.WINDOW:
                base += (self._window_min - base) * min(1.0, self.CREEP * elapsed)
                self._window_start, self._window_min = arrived, math.inf
        self._base = base
        moment = base + offset
        if self._last is None or moment > self._last:
            self._last = moment
        return datetime.fromtimestamp(moment, UTC)

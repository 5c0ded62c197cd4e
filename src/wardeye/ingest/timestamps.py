"""Turn a camera's timestamps into one timeline that only moves forward.

Cameras reset their clock on reboot, jump when NTP corrects them, and a looped file starts again
at zero; the first RTSP packets may carry no DTS at all. Muxers refuse timestamps that go back,
and a recording must not claim a 3-second jump it did not see. So: a normal step is kept as is;
a step back, a zero step, or a jump far bigger than the time that really passed between arrivals
is replaced by one frame duration, and the camera's clock is followed again from there.
"""

from __future__ import annotations

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
    as they improve; consumers that need order (the segmenter) keep their own floor."""

    CREEP = 1 / 2000  # share of the lag taken up per packet (~80 ms lag at 0.1 % clock skew)

    def __init__(self, max_lag: float = 2.0) -> None:
        self._max_lag = max_lag
        self._base: float | None = None  # epoch seconds at dts 0; floats: this runs per packet
        self._last: float | None = None
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
        if base is None:
            base = candidate if self._last is None else max(candidate, self._last - offset)
        elif candidate < base:
            base = candidate
        elif candidate - base > self._max_lag:
            base = candidate
            self.reanchored += 1
        else:
            base += (candidate - base) * self.CREEP
        self._base = base
        moment = base + offset
        if self._last is None or moment > self._last:
            self._last = moment
        return datetime.fromtimestamp(moment, UTC)

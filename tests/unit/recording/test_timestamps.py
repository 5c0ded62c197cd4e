"""Camera timestamps -> one forward-only timeline, and DTS -> capture time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wardeye.ingest.timestamps import TimestampNormalizer, WallClock

F = 3600  # one frame at 25 fps, 90 kHz


def test_first_packets_without_dts_use_pts_or_are_dropped() -> None:
    norm = TimestampNormalizer()
    assert norm.push(None, None) is None  # nothing to place it by
    first = norm.push(9000, None)
    assert first is not None and (first.pts, first.dts) == (0, 0)
    nxt = norm.push(None, None)  # mid-stream: one frame later
    assert nxt is not None and nxt.dts == F


def test_normal_steps_are_kept_and_rebased_to_zero() -> None:
    norm = TimestampNormalizer()
    out = [norm.push(t, t) for t in range(1_000_000, 1_000_000 + 10 * F, F)]
    assert [o.dts for o in out if o] == list(range(0, 10 * F, F))
    assert not any(o.discontinuity for o in out if o)


def test_reset_to_zero_continues_one_frame_later() -> None:
    norm = TimestampNormalizer()
    for t in range(500 * F, 510 * F, F):
        norm.push(t, t)
    after = norm.push(0, 0)  # the simulator looped its file
    assert after is not None and after.discontinuity
    assert after.dts == 10 * F
    again = norm.push(F, F)
    assert again is not None and again.dts == 11 * F and not again.discontinuity


def test_forward_jump_bigger_than_real_time_is_not_believed() -> None:
    norm = TimestampNormalizer()
    norm.push(0, 0, arrival=100.0)
    norm.push(F, F, arrival=100.04)
    jumped = norm.push(F + 3 * 90_000, F + 3 * 90_000, arrival=100.08)  # NTP moved 3 s
    assert jumped is not None and jumped.discontinuity and jumped.dts == 2 * F


def test_a_real_stall_keeps_the_cameras_timing() -> None:
    norm = TimestampNormalizer()
    norm.push(0, 0, arrival=10.0)
    late = norm.push(2 * 90_000, 2 * 90_000, arrival=12.0)  # 2 s of lost packets, 2 s waited
    assert late is not None and not late.discontinuity and late.dts == 2 * 90_000


def test_pts_never_below_dts_and_b_frame_offsets_survive_a_reset() -> None:
    norm = TimestampNormalizer()
    norm.push(2 * F, 0)
    b = norm.push(F, F)
    assert b is not None and b.pts >= b.dts
    reset = norm.push(2 * F, 0)
    assert reset is not None and reset.pts - reset.dts == 2 * F


def test_restart_continues_the_timeline_of_the_previous_connection() -> None:
    norm = TimestampNormalizer()
    for t in range(0, 5 * F, F):
        norm.push(t, t)
    norm.restart()
    fresh = norm.push(123_456_789, 123_456_789)
    assert fresh is not None and fresh.dts == 5 * F


T = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
E = T.timestamp()  # arrivals are epoch seconds (time.time())


def secs(value: float) -> timedelta:
    return timedelta(seconds=value)


def close_to(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 1e-5


def test_a_burst_at_connect_does_not_make_the_stream_look_late() -> None:
    clock = WallClock()
    # frames captured every 40 ms from T; the server sends the first 20 (0.8 s) in one burst
    # at T+0.81, then each frame 10 ms after its capture
    estimates = []
    for i in range(100):
        captured = E + 0.04 * i
        arrived = E + 0.81 if i < 20 else captured + 0.01
        estimates.append(clock.at(i * F, arrived))
    assert close_to(estimates[0], T + secs(0.81))  # the first guess is late...
    assert close_to(estimates[-1], T + secs(0.04 * 99 + 0.01))  # ...later ones are right
    assert clock.reanchored == 0


def test_a_slow_camera_clock_is_followed_without_jumps() -> None:
    clock = WallClock(max_lag=2.0)
    lags = []
    for i in range(25 * 600):  # ten minutes of a camera whose clock runs 0.1 % slow
        arrived = E + 0.04 * i * 1.001 + 0.01
        lags.append(arrived - clock.at(i * F, arrived).timestamp())
    assert clock.reanchored == 0
    assert max(lags) < 0.2  # without following it would lag 0.6 s by now


def test_batched_arrivals_do_not_make_the_estimate_wobble() -> None:
    # A reader that takes packets every 0.5 s: each arrives up to half a second after capture.
    # Stretches of ~4 s must keep their true length to well under a millisecond, or
    # segments' wall-clock spans disagree with their playing time (and players skip).
    clock = WallClock(max_lag=2.0)
    estimates = []
    for i in range(25 * 120):
        captured = 0.04 * i
        read_at = (int(captured / 0.5) + 1) * 0.5 + 0.003
        estimates.append(clock.at(i * F, E + read_at).timestamp())
    # stretches of 101 frames (4.04 s) starting at every frame after the first 10 s
    for start in range(250, len(estimates) - 101):
        assert abs(estimates[start + 101] - estimates[start] - 4.04) < 0.0005
    assert clock.reanchored == 0


def test_a_long_stall_reanchors_and_restart_never_goes_back() -> None:
    clock = WallClock(max_lag=2.0)
    assert close_to(clock.at(0, E), T)
    late = clock.at(F, E + 5)  # 5 s of silence, then the next frame
    assert close_to(late, T + secs(5)) and clock.reanchored == 1
    clock.restart()
    # a new connection whose first packet arrives "earlier" cannot precede what was given out
    assert clock.at(0, E + 1) >= late

"""Segment paths: hour folders, start time in the name, partial names, stored paths."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from wardeye.recording.layout import (
    final_path,
    partial_path,
    resolve,
    segment_path,
    start_from_name,
    stored_path,
)


def test_round_trip_in_utc(tmp_path: Path) -> None:
    start = datetime(2026, 11, 25, 17, 5, 9, 123456, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    path = segment_path(tmp_path, 7, "main", start)
    assert path.relative_to(tmp_path).as_posix() == (
        "7/main/2026/11/25/10/20261125T100509.123456Z.mp4"
    )
    assert start_from_name(path) == start.astimezone(UTC)
    partial = partial_path(path)
    assert partial.name.endswith(".mp4.partial") and final_path(partial) == path
    assert start_from_name(partial) == start
    stored = stored_path(tmp_path, path)
    assert not stored.startswith("/") and resolve(tmp_path, stored) == path


def test_foreign_names_are_not_segments(tmp_path: Path) -> None:
    assert start_from_name(tmp_path / "notes.txt") is None
    assert start_from_name(tmp_path / "clip.mp4") is None

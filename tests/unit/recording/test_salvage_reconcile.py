"""Crash leftovers: salvaging cut fMP4 files, and reconciling the disk with the index."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from recording_support import T0, add_camera, clip_packets, decodes_cleanly, ffprobe

from wardeye.catalog import recordings
from wardeye.catalog.database import Database
from wardeye.catalog.recordings import NewSegment
from wardeye.core.events import SegmentClosed
from wardeye.ingest.packets import MediaPacket, StreamInfo
from wardeye.recording.inspect import complete_prefix, inspect_segment, salvage
from wardeye.recording.layout import partial_path, segment_path, start_from_name, stored_path
from wardeye.recording.reconcile import reconcile
from wardeye.recording.retention import JOURNAL_NAME
from wardeye.recording.segment_file import SegmentWriter


def write_segment(root: Path, cam: int, packets: list[MediaPacket]) -> Path:
    conn_info = StreamInfo(cam, "main", "h264", 1280, 720, 25.0, b"", "x", 1)
    writer = SegmentWriter(root, conn_info, packets[0])
    for packet in packets:
        writer.write(packet)
    start = packets[0].at
    return writer.finish(start, start + timedelta(seconds=10), None).path


@pytest.fixture(scope="module")
def packets() -> list[MediaPacket]:
    return clip_packets("testsrc_720p.mp4", 10)[1]  # GOP 2 s: 5 fragments


@pytest.mark.parametrize("cut_fraction", [0.05, 0.3, 0.55, 0.8, 0.999])
def test_salvage_keeps_whole_fragments_of_a_cut_file(
    tmp_path: Path, packets: list[MediaPacket], cut_fraction: float
) -> None:
    done = write_segment(tmp_path, 1, packets)
    cut = tmp_path / "cut.mp4.partial"
    shutil.copy(done, cut)
    os.truncate(cut, int(done.stat().st_size * cut_fraction))
    facts = salvage(cut)
    if facts is None:  # not even the first fragment was complete
        assert cut_fraction < 0.2 and complete_prefix(cut) == 0
        return
    assert facts.duration in (2.0, 4.0, 6.0, 8.0)  # whole GOPs only
    assert facts.frames == facts.duration * 25 and facts.keyframes == facts.duration / 2
    assert ffprobe(cut)["duration"] == pytest.approx(facts.duration, abs=0.05)
    assert decodes_cleanly(cut)


def test_inspect_rejects_garbage_and_empty_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(200_000))
    assert inspect_segment(junk) is None and salvage(junk) is None
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert inspect_segment(empty) is None


def index(db: Database, root: Path, cam: int, path: Path, seconds: float) -> None:
    start = start_from_name(path)
    assert start is not None
    with db.session() as s:
        new = NewSegment(cam, "main", start, start + timedelta(seconds=seconds), seconds,
                         path.stat().st_size, int(seconds * 25), int(seconds / 2), "h264",
                         1280, 720, stored_path(root, path))  # fmt: skip
        recordings.add_segment(s, new)


def test_reconcile_after_a_crash(
    catalog: Database, tmp_path: Path, packets: list[MediaPacket]
) -> None:
    root = tmp_path / "rec"
    cam = add_camera(catalog, "Trường THCS")

    def at(seconds: float) -> list[MediaPacket]:
        shift = timedelta(seconds=seconds)
        return [MediaPacket(p.data, p.pts, p.dts, p.duration, p.keyframe, p.at + shift)
                for p in packets]  # fmt: skip

    kept = write_segment(root, cam, at(0))
    index(catalog, root, cam, kept, 10)
    unindexed = write_segment(root, cam, at(10))  # renamed, then the crash came
    cut = write_segment(root, cam, at(20))  # still being written when killed
    os.truncate(cut, int(cut.stat().st_size * 0.7))
    cut.rename(partial_path(cut))
    header_only = partial_path(segment_path(root, cam, "main", T0 + timedelta(seconds=30)))
    header_only.write_bytes(cut.with_name(partial_path(cut).name).read_bytes()[:600])
    junk = segment_path(root, cam, "main", T0 + timedelta(seconds=40))
    junk.write_bytes(os.urandom(50_000))
    notes = junk.with_name("notes.txt")
    notes.write_text("operator's notes: never touched")
    retention_pending = write_segment(root, cam, at(50))
    (root / JOURNAL_NAME).write_text(stored_path(root, retention_pending) + "\n")
    ghost = write_segment(root, cam, at(60))
    index(catalog, root, cam, ghost, 10)
    ghost.unlink()  # a row whose file is gone
    old = segment_path(root, cam, "main", T0 - timedelta(hours=3))
    old.parent.mkdir(parents=True)
    shutil.copy(kept, old)  # outside the look-back window: left for a full scan

    announced: list[SegmentClosed] = []
    report = reconcile(catalog, root, [(cam, "main"), (cam, "sub")], announce=announced.append)

    assert (report.indexed, report.salvaged, report.deleted, report.rows_removed) == (1, 1, 2, 1)
    assert sorted(Path(e.path) for e in announced) == sorted([unindexed, cut])
    with catalog.session() as s:
        rows = recordings.segments_between(s, cam, T0 - timedelta(1), T0 + timedelta(1))
    paths = {r.path for r in rows}
    assert stored_path(root, unindexed) in paths and stored_path(root, cut) in paths
    assert stored_path(root, old) not in paths
    for row in rows:
        assert ffprobe(root / row.path)["duration"] == pytest.approx(row.duration, abs=0.05)
    salvaged = next(r for r in rows if r.path == stored_path(root, cut))
    assert salvaged.start == T0 + timedelta(seconds=20) and 0 < salvaged.duration < 10
    assert not list(root.rglob("*.partial")) and not junk.exists()
    assert notes.exists() and retention_pending.exists()

    full = reconcile(catalog, root, [(cam, "main")], full=True)
    assert full.indexed == 1  # the old file, found by the full scan

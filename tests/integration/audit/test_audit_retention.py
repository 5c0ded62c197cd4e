"""Retention writes one summary audit entry per pass that deleted footage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from conftest import AuditSite
from wardeye.catalog.models import Area, AuditEntry, Camera, EvidenceLock, Segment
from wardeye.config.models import RetentionConfig
from wardeye.recording.retention import RetentionService

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _footage(site: AuditSite, recordings: Path) -> None:
    with site.db.session() as s:
        area = Area(name="Phường Him Lam", level="commune")
        s.add(area)
        s.flush()
        camera = Camera(name="Cổng chợ", area_id=area.id, main_url="rtsp://cam/1")
        s.add(camera)
        s.flush()
        for days in (10, 9, 8, 1):
            start = NOW - timedelta(days=days)
            path = recordings / f"{days}.mp4"
            path.write_bytes(b"\0" * 500)
            s.add(Segment(camera_id=camera.id, stream="main", start=start, bytes=500,
                          end=start + timedelta(seconds=10), duration=10.0, keyframes=1,
                          path=path.name))  # fmt: skip
        locked = NOW - timedelta(days=9)
        s.add(EvidenceLock(camera_id=camera.id, start=locked, end=locked + timedelta(seconds=5),
                           reason="vụ trộm", case_ref="VV-12"))  # fmt: skip


def test_one_summary_entry_per_pass_that_deleted(site: AuditSite, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    _footage(site, recordings)
    config = RetentionConfig(max_age_days=7)
    retention = RetentionService(site.db, config, recordings, now=lambda: NOW, audit=site.log)
    first = retention.run_once()
    assert (first.deleted_segments, first.kept_locked) == (2, 1)
    retention.run_once()  # nothing more to delete: no entry
    with site.db.session() as s:
        entries = s.scalars(select(AuditEntry)).all()
    [entry] = entries
    assert (entry.action, entry.result, entry.username) == ("retention_run", "ok", "retention")
    detail = json.loads(entry.detail)
    assert detail["deleted_segments"] == 2 and detail["deleted_bytes"] == 1000
    assert detail["kept_locked"] == 1 and detail["space_ok"] is True
    assert site.log.verify().intact

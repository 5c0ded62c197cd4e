"""What the API needs of analytics: events (list, one, snapshot file, timeline window, live
feed) and zones (CRUD, announced on the bus so running workers pick the change up)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from wardeye.analytics.zones import ZoneSettings
from wardeye.catalog import events as repo
from wardeye.catalog.database import Database
from wardeye.catalog.events import EventRecord, ZoneRecord
from wardeye.core.bus import EventBus
from wardeye.core.events import AnalyticsEventRecorded, ZonesChanged

FOOTAGE_LEAD = timedelta(seconds=5)  # footage links start a little before the event


def event_json(record: EventRecord) -> dict[str, Any]:
    data = asdict(record)
    data["start"] = record.start.isoformat()
    data["end"] = record.end.isoformat() if record.end else None
    data["snapshot_url"] = f"/api/events/{record.id}/snapshot" if record.snapshot else None
    lead = (record.start - FOOTAGE_LEAD).isoformat().replace("+00:00", "Z")
    query = urlencode({"at": lead, "origin": lead})
    data["footage_url"] = f"/api/playback/{record.camera_id}/media?{query}"
    data["timeline_url"] = f"/api/playback/{record.camera_id}/timeline?" + urlencode(
        {"start": lead, "end": (record.end or record.start + FOOTAGE_LEAD).isoformat()}
    )
    return data


class EventStore:
    def __init__(self, db: Database, bus: EventBus, snapshots_dir: Path) -> None:
        self._db = db
        self._bus = bus
        self.snapshots_dir = Path(snapshots_dir)

    # -- events -------------------------------------------------------------------------------

    def find(
        self,
        camera_ids: Sequence[int] | None,
        kinds: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 200,
        before_id: int | None = None,
    ) -> list[EventRecord]:
        with self._db.session() as session:
            return repo.list_events(
                session,
                camera_ids=camera_ids,
                kinds=kinds,
                start=start,
                end=end,
                limit=limit,
                before_id=before_id,
            )

    def get(self, event_id: int) -> EventRecord | None:
        with self._db.session() as session:
            return repo.get_event(session, event_id)

    def snapshot_file(self, record: EventRecord) -> Path | None:
        if record.snapshot is None:
            return None
        path = (self.snapshots_dir / record.snapshot).resolve()
        if not path.is_relative_to(self.snapshots_dir.resolve()) or not path.is_file():
            return None
        return path

    def between(self, camera_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """For the playback timeline."""
        records = self.find([camera_id], start=start, end=end, limit=1000)
        return [event_json(r) for r in reversed(records)]

    def subscribe(self, handler: Callable[[AnalyticsEventRecorded], None]) -> Callable[[], None]:
        return self._bus.subscribe(AnalyticsEventRecorded, handler)

    # -- zones --------------------------------------------------------------------------------

    def zones(self, camera_id: int) -> list[ZoneRecord]:
        with self._db.session() as session:
            return repo.list_zones(session, camera_id)

    def add_zone(
        self,
        camera_id: int,
        name: str,
        kind: str,
        points: Sequence[tuple[float, float]],
        settings: ZoneSettings,
        enabled: bool = True,
    ) -> ZoneRecord:
        with self._db.session() as session:
            zone = repo.add_zone(
                session,
                camera_id,
                name,
                kind,
                points,
                settings.model_dump(mode="json", exclude_defaults=True),
                enabled,
            )
        self._bus.publish(ZonesChanged(camera_id))
        return zone

    def update_zone(
        self,
        zone_id: int,
        *,
        name: str | None = None,
        points: Sequence[tuple[float, float]] | None = None,
        settings: ZoneSettings | None = None,
        enabled: bool | None = None,
    ) -> ZoneRecord | None:
        raw = None if settings is None else settings.model_dump(mode="json", exclude_defaults=True)
        with self._db.session() as session:
            zone = repo.update_zone(
                session, zone_id, name=name, points=points, settings=raw, enabled=enabled
            )
        if zone is not None:
            self._bus.publish(ZonesChanged(zone.camera_id))
        return zone

    def get_zone(self, zone_id: int) -> ZoneRecord | None:
        with self._db.session() as session:
            return repo.get_zone(session, zone_id)

    def delete_zone(self, zone_id: int) -> bool:
        zone = self.get_zone(zone_id)
        if zone is None:
            return False
        with self._db.session() as session:
            repo.delete_zone(session, zone_id)
        self._bus.publish(ZonesChanged(zone.camera_id))
        return True

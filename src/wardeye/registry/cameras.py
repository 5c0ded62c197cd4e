"""Camera registry: the rules for adding, changing and removing cameras."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wardeye.catalog import areas as area_repo
from wardeye.catalog import cameras as camera_repo
from wardeye.catalog.database import Database
from wardeye.catalog.models import Camera, Segment, User
from wardeye.core.bus import EventBus
from wardeye.core.errors import Conflict, InvalidInput, NotFound
from wardeye.core.events import CameraRegistered, CameraRemoved, CameraUpdated
from wardeye.registry.schemas import CameraCreate, CameraUpdate, CameraView


def camera_view(session: Session, camera: Camera) -> CameraView:
    return CameraView.masked(
        id=camera.id,
        name=camera.name,
        area_id=camera.area_id,
        area_path=area_repo.path_names(session, camera.area),
        kind=camera.kind,
        owner_name=camera.owner_name,
        consent_tier=camera.consent_tier,
        latitude=camera.latitude,
        longitude=camera.longitude,
        main_url=camera.main_url,
        sub_url=camera.sub_url,
        enabled=camera.enabled,
        retention_days=camera.retention_days,
        description=camera.description,
        owner_user_id=camera.owner_user_id,
        verified=camera.verified,
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )


class CameraRegistry:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def create(self, data: CameraCreate, verified: bool = True) -> CameraView:
        """``verified=False`` for a camera an owner registered: not pulled until checked."""
        with self._db.session() as session:
            self.check_new(session, data)
            camera = camera_repo.add(session, **data.model_dump(), verified=verified)
            view = camera_view(session, camera)
        self._publish(CameraRegistered(camera_id=view.id, name=view.name))
        return view

    def list(
        self, area_id: int | None = None, enabled: bool | None = None, kind: str | None = None
    ) -> list[CameraView]:
        """Cameras of an area include those of every area inside it."""
        with self._db.session() as session:
            area_ids = None
            if area_id is not None:
                if area_repo.get(session, area_id) is None:
                    raise NotFound(f"no area with id {area_id}")
                area_ids = area_repo.subtree_ids(session, area_id)
            cameras = camera_repo.list_filtered(session, area_ids, enabled, kind)
            return [camera_view(session, c) for c in cameras]

    def get(self, camera_id: int) -> CameraView:
        with self._db.session() as session:
            return camera_view(session, self._require(session, camera_id))

    def find(self, id_or_name: str) -> CameraView:
        with self._db.session() as session:
            camera = camera_repo.get_by_name(session, unicodedata.normalize("NFC", id_or_name))
            if camera is None and id_or_name.isdigit():
                camera = camera_repo.get(session, int(id_or_name))
            if camera is None:
                raise NotFound(f"no camera named or numbered {id_or_name!r}")
            return camera_view(session, camera)

    def update(self, camera_id: int, data: CameraUpdate) -> CameraView:
        changes = data.model_dump(exclude_unset=True)
        with self._db.session() as session:
            camera = self._require(session, camera_id)
            merged = {**_fields_of(camera), **changes}
            try:
                checked = CameraCreate.model_validate(merged)
            except ValueError as exc:
                raise InvalidInput(_first_message(exc)) from None
            if checked.name != camera.name:
                self._check_name_free(session, checked.name)
            self._check_area(session, checked.area_id)
            self._check_owner(session, checked.owner_user_id)
            camera_repo.update(session, camera, **changes)
            view = camera_view(session, camera)
        self._publish(CameraUpdated(camera_id=camera_id))
        return view

    def set_verified(self, camera_id: int, verified: bool) -> CameraView:
        with self._db.session() as session:
            camera = self._require(session, camera_id)
            camera_repo.update(session, camera, verified=verified)
            view = camera_view(session, camera)
        self._publish(CameraUpdated(camera_id=camera_id))
        return view

    def set_enabled(self, camera_id: int, enabled: bool) -> CameraView:
        return self.update(camera_id, CameraUpdate(enabled=enabled))

    def delete(self, camera_id: int) -> None:
        """Refuses while footage exists: footage may be evidence, so disable the camera instead
        and let retention (which respects evidence locks) remove the footage first."""
        with self._db.session() as session:
            camera = self._require(session, camera_id)
            count = session.scalar(
                select(func.count()).select_from(Segment).where(Segment.camera_id == camera_id)
            )
            if count:
                raise Conflict(
                    f"camera {camera.name!r} still has {count} recorded segments; "
                    "disable it instead, or wait until retention has removed its footage"
                )
            camera_repo.delete(session, camera)
        self._publish(CameraRemoved(camera_id=camera_id))

    def check_new(self, session: Session, data: CameraCreate) -> None:
        self._check_name_free(session, data.name)
        self._check_area(session, data.area_id)
        self._check_owner(session, data.owner_user_id)

    @staticmethod
    def _check_name_free(session: Session, name: str) -> None:
        if camera_repo.get_by_name(session, name) is not None:
            raise Conflict(f"a camera named {name!r} already exists")

    @staticmethod
    def _check_owner(session: Session, user_id: int | None) -> None:
        if user_id is None:
            return
        owner = session.get(User, user_id)
        if owner is None or owner.role != "owner":
            raise InvalidInput(f"no owner account with id {user_id}", field="owner_user_id")

    @staticmethod
    def _check_area(session: Session, area_id: int) -> None:
        if area_repo.get(session, area_id) is None:
            raise InvalidInput(f"unknown area id {area_id}", field="area_id")

    @staticmethod
    def _require(session: Session, camera_id: int) -> Camera:
        camera = camera_repo.get(session, camera_id)
        if camera is None:
            raise NotFound(f"no camera with id {camera_id}")
        return camera

    def _publish(self, event: CameraRegistered | CameraUpdated | CameraRemoved) -> None:
        if self._bus is not None:
            self._bus.publish(event)


def _fields_of(camera: Camera) -> dict[str, object]:
    names = set(CameraCreate.model_fields)
    return {name: getattr(camera, name) for name in names}


def _first_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        msg = str(first.get("msg", exc)).removeprefix("Value error, ")
        return f"{where}: {msg}" if where else msg
    return str(exc)

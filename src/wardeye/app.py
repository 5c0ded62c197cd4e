"""Composition root: build every service from the Config, in order, and start/stop them.
No business logic lives here; it only wires parts that know nothing of each other."""

from __future__ import annotations

import gc
import getpass
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from wardeye.access.administration import Administration
from wardeye.access.permissions import Permission
from wardeye.access.policy import AccessPolicy
from wardeye.access.principal import Principal
from wardeye.analytics.store import EventStore
from wardeye.analytics.supervisor import AnalyticsSupervisor
from wardeye.api.app import create_api
from wardeye.api.services import ApiServices
from wardeye.audit.log import AuditLog
from wardeye.audit.records import AuditAction, AuditRecord
from wardeye.catalog import migrate
from wardeye.catalog.database import Database, private_dir
from wardeye.config.models import Config
from wardeye.core.bus import InProcessBus
from wardeye.ingest.packets import PacketSink
from wardeye.live.footage import FootageIndex
from wardeye.live.hub import LiveHub
from wardeye.live.tap import Detach, RecorderTap
from wardeye.privacy.masks import MaskStore
from wardeye.recording.recorder import Recorder
from wardeye.recording.retention import RetentionService
from wardeye.recording.status_writer import StatusWriter
from wardeye.registry.areas import AreaRegistry
from wardeye.registry.camera_import import CameraImporter
from wardeye.registry.cameras import CameraRegistry
from wardeye.registry.footage_requests import FootageRequests
from wardeye.registry.household import evidence_locks
from wardeye.registry.users import UserService
from wardeye.signin.services import SigninServices
from wardeye.web import pages

log = logging.getLogger(__name__)
STATIC_DIR = Path(pages.__file__).with_name("static")


def load_or_create_secret(config: Config) -> str:
    """Session-signing key: from config/env, else generated once and kept in data_dir."""
    if config.secret_key is not None:
        return config.secret_key.get_secret_value()
    path = config.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(config.data_dir)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass
class WardEye:
    """Every long-lived part of one WardEye process."""

    config: Config
    db: Database = field(init=False)
    bus: InProcessBus = field(init=False)
    areas: AreaRegistry = field(init=False)
    cameras: CameraRegistry = field(init=False)
    importer: CameraImporter = field(init=False)
    users: UserService = field(init=False)
    audit: AuditLog = field(init=False)
    access: AccessPolicy = field(init=False)
    admin: Administration = field(init=False)
    signin: SigninServices = field(init=False)
    footage: FootageIndex = field(init=False)
    masks: MaskStore = field(init=False)
    live: LiveHub = field(init=False)
    events: EventStore = field(init=False)
    background: list[Any] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        private_dir(self.config.data_dir)  # 0700: catalog, keys and footage are the service's
        self.db = Database(self.config.resolved_database_url(), data_dir=self.config.data_dir)
        self.bus = InProcessBus()
        self.areas = AreaRegistry(self.db)
        self.cameras = CameraRegistry(self.db, self.bus)
        self.importer = CameraImporter(self.db, self.bus)
        self.users = UserService(self.db)
        self.audit = AuditLog(self.db, self.config.data_dir)
        reasons = frozenset(Permission(p) for p in self.config.access.reason_required_for)
        self.access = AccessPolicy(self.db, self.cameras, self.audit, reasons)
        self.signin = SigninServices.build(self.db, self.config.signin, self.config.site_name)
        self.admin = Administration(
            self.access,
            self.areas,
            self.cameras,
            self.importer,
            self.users,
            FootageRequests(self.db),
            revoke_sessions=self.signin.revoke_user,
        )
        self.footage = FootageIndex(self.db, self.config.recordings_dir())
        self._live_tap = RecorderTap(self.db, self._attach_recorded, self.config.recording)
        self.masks = MaskStore(self.db, self.bus)
        self.live = LiveHub(self._live_tap, bus=self.bus, masks=self.masks)
        self.events = EventStore(self.db, self.bus, self.config.data_dir / "snapshots")

    def prepare_catalog(self) -> None:
        migrate.ensure_current(self.db)
        added = self.areas.seed(self.config.areas)
        if added:
            log.info("created %d areas from the config", added)

    def start_background(self) -> None:
        """Retention first (the recorder calls it when the disk fills), then the recorder."""
        self._audit_config()
        retention = RetentionService(
            self.db,
            self.config.recording.retention,
            self.config.recordings_dir(),
            self.bus,
            audit=self.audit,
        )
        recorder = Recorder(
            self.db,
            self.config.recording,
            self.config.recordings_dir(),
            self.bus,
            on_disk_full=retention.make_room,
        )
        retention.start()
        self.background.append(retention)
        recorder.start()
        self.background.append(recorder)
        self.live.warm_all((h.camera_id, h.stream) for h in recorder.health())
        status = StatusWriter(self.db, recorder.health)
        status.start()
        self.background.append(status)
        if self.config.analytics.enabled:
            analytics = AnalyticsSupervisor(
                self.db,
                self.config.analytics,
                self.config.data_dir,
                self.bus,
                self._attach_analytics,
                self.config.timezone,
            )
            analytics.start()
            self.background.append(analytics)
        gc.freeze()  # start-up objects (config, models, routes) are never garbage: stop rescanning

    def _attach_analytics(
        self, camera_id: int, stream: str, sink: PacketSink, name: str
    ) -> Detach | None:
        """Analytics shares the recorder's reader, or a live-only one for unrecorded streams."""
        attachment = self._live_tap.attach(camera_id, stream, sink, name)
        return None if attachment is None else attachment.detach

    def _attach_recorded(self, camera_id: int, stream: str, sink: PacketSink, name: str) -> Detach:
        """Live view rides on the recorder's reader of that stream (KeyError: not recorded)."""
        for part in self.background:
            if hasattr(part, "attach"):
                detach: Detach = part.attach(camera_id, stream, sink, name)
                return detach
        raise KeyError(f"camera {camera_id}/{stream} is not being recorded")

    def stop(self) -> None:
        self.live.stop()
        self._live_tap.stop()
        for part in reversed(self.background):
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)
        self.background.clear()
        self.db.dispose()

    def _audit_config(self) -> None:
        """Each start records which configuration the site runs with (its fingerprint, never
        its secrets), so a changed config between two runs shows in the audit."""
        settings = self.config.model_dump_json(exclude={"secret_key"})
        fingerprint = hashlib.sha256(settings.encode()).hexdigest()
        self.audit.append(
            AuditRecord(
                action=AuditAction.CONFIG_RELOAD,
                result="ok",
                username="system",
                object_type="config",
                detail={"sha256": fingerprint},
            )
        )

    def operator(self) -> Principal:
        """The CLI's principal: whoever has a shell on the box, audited by OS user name."""
        return Principal.local_operator(os.environ.get("SUDO_USER") or getpass.getuser())

    def camera_health(self) -> list[Any]:
        for part in self.background:
            if hasattr(part, "health"):
                return list(part.health())
        return []

    def asgi(self) -> FastAPI:
        services = ApiServices(
            access=self.access,
            admin=self.admin,
            audit=self.audit,
            areas=self.areas,
            cameras=self.cameras,
            users=self.users,
            site_name=self.config.site_name,
            timezone=self.config.timezone,
            camera_health=self.camera_health,
            live=self.live,
            footage=self.footage,
            map_settings=pages.map_settings(self.config.map),
            map_overlay=self.config.map.overlay_image,
            events=self.events,
            masks=self.masks.enabled,
            household_locks=partial(evidence_locks, self.db),
            secure_cookies=self.config.server.secure_cookies,
        )
        app = create_api(services, load_or_create_secret(self.config), self.signin)
        app.include_router(pages.router)
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
        return app

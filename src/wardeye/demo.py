"""What `wardeye demo` sets up: a ward with demo cameras fed by real footage (file sources paced
in real time and looped, recorded like any camera) and an admin account to log in with."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from wardeye.analytics.zones import ZoneSettings
from wardeye.app import WardEye
from wardeye.config.detectors import DarknetSettings
from wardeye.config.models import Config
from wardeye.core.errors import ConfigError
from wardeye.registry.schemas import AreaCreate, CameraCreate, UserCreate

DEMO_USER = "demo"
# (name, main clip, sub clip, latitude, longitude): spots around Bến Nghé ward, District 1.
DEMO_CAMERAS = [
    ("Ngã tư Lê Lợi – Nguyễn Huệ", "vtest_1080p.mp4", "vtest_720p_sub.mp4", 10.77366, 106.70325),
    ("Chợ Bến Thành – cổng Tây", "vtest.mp4", None, 10.77246, 106.69805),
    ("Trường THCS Minh Đức", "vtest.mp4", None, 10.77580, 106.70010),
    ("Hẻm 42 Tôn Thất Thiệp", "testsrc_720p.mp4", None, 10.77450, 106.70470),
]
# Zones drawn on the cameras that show vtest's walkway (0-1 coordinates, so main and sub fit):
# a counting line across the path, and the path itself watched for loitering and groups.
DEMO_ZONES = [
    ("Vạch đếm lối đi", "line", [(0.6706, 0.1736), (0.6706, 0.8333)], ZoneSettings()),
    (
        "Lối đi",
        "polygon",
        [(0.05, 0.25), (0.98, 0.25), (0.98, 0.80), (0.05, 0.80)],
        ZoneSettings(loiter_seconds=20, gather_count=4, gather_seconds=5),
    ),
]
REQUIRED_CLIPS = {"vtest.mp4", "vtest_1080p.mp4", "vtest_720p_sub.mp4", "testsrc_720p.mp4"}


def find_media_dir(configured: Path | None) -> Path:
    """Footage prepared by scripts/setup: config, $WARDEYE_MEDIA_DIR, ./.media, or the checkout."""
    candidates = [configured] if configured else []
    if os.environ.get("WARDEYE_MEDIA_DIR"):
        candidates.append(Path(os.environ["WARDEYE_MEDIA_DIR"]))
    candidates += [Path.cwd() / ".media", Path(__file__).resolve().parents[2] / ".media"]
    for candidate in candidates:
        if candidate and all((candidate / clip).is_file() for clip in REQUIRED_CLIPS):
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates if c)
    raise ConfigError(
        f"demo footage not found (looked in {tried}); run scripts/setup, "
        "or set demo.media_dir / WARDEYE_MEDIA_DIR"
    )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str | None  # None when the account already existed


def install_demo(wardeye: WardEye, media_dir: Path, count: int) -> DemoLogin:
    """Create the demo ward, its cameras and a login, skipping what already exists."""
    province = _area(wardeye, "Thành phố Hồ Chí Minh", "province", None)
    district = _area(wardeye, "Quận 1", "district", province)
    ward = _area(wardeye, "Phường Bến Nghé", "commune", district)
    existing = {c.name for c in wardeye.cameras.list()}
    for index in range(count):
        name, main, sub, lat, lon = DEMO_CAMERAS[index % len(DEMO_CAMERAS)]
        if index >= len(DEMO_CAMERAS):
            name = f"{name} #{index // len(DEMO_CAMERAS) + 1}"
        if name in existing:
            continue
        camera = wardeye.admin.create_camera(
            wardeye.operator(),
            CameraCreate(
                name=name,
                area_id=ward,
                main_url=(media_dir / main).as_uri(),
                sub_url=(media_dir / sub).as_uri() if sub else None,
                latitude=lat,
                longitude=lon,
                description="Demo camera: real footage looped in real time.",
            ),
        )
        if main.startswith("vtest"):
            for zone_name, kind, points, settings in DEMO_ZONES:
                wardeye.events.add_zone(camera.id, zone_name, kind, points, settings)
    if any(u.username == DEMO_USER for u in wardeye.users.list()):
        return DemoLogin(DEMO_USER, None)
    password = secrets.token_urlsafe(9)
    wardeye.users.add(
        UserCreate(username=DEMO_USER, password=password, role="admin", display_name="Demo")
    )
    return DemoLogin(DEMO_USER, password)


def _area(wardeye: WardEye, name: str, level: str, parent: int | None) -> int:
    for area in wardeye.areas.list():
        if area.name == name and area.parent_id == parent:
            return area.id
    return wardeye.areas.create(AreaCreate(name=name, level=level, parent_id=parent)).id


def demo_config(config: Config) -> Config:
    """The demo shows analytics when setup prepared the detector model (scripts/setup)."""
    analytics = config.analytics
    models = analytics.resolved_models_dir()
    detector = analytics.detector
    model = detector.weights if isinstance(detector, DarknetSettings) else detector.model
    if analytics.enabled or not (model if model.is_absolute() else models / model).is_file():
        return config
    return config.model_copy(update={"analytics": analytics.model_copy(update={"enabled": True})})

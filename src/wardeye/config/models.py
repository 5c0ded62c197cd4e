"""The configuration schema. One YAML file; secrets and the database URL may come from the
environment instead (``WARDEYE_SECRET_KEY``, ``WARDEYE_DATABASE_URL``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from wardeye.config.detectors import DetectorSettings, NanoDetSettings


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Strict):
    host: str = Field("127.0.0.1", description="Address the web app and API listen on.")
    port: int = Field(8080, ge=1, le=65535, description="TCP port of the web app and API.")
    secure_cookies: bool = Field(
        False,
        description="Mark the session cookie Secure (HTTPS only). Turn on when WardEye is "
        "served over HTTPS, e.g. behind a TLS reverse proxy.",
    )


class ReconnectConfig(Strict):
    initial_seconds: float = Field(
        1.0, gt=0, description="First wait before reconnecting to a camera that dropped."
    )
    max_seconds: float = Field(
        30.0, gt=0, description="Cap of the exponential backoff between reconnect attempts."
    )
    jitter: float = Field(
        0.2, ge=0, le=1, description="Random fraction added to each wait so cameras don't stampede."
    )
    open_timeout_seconds: float = Field(
        10.0, gt=0, description="How long to wait for a camera to answer before giving up a try."
    )
    read_timeout_seconds: float = Field(
        10.0, gt=0, description="Silence after which a connected camera is treated as dropped."
    )


class RetentionConfig(Strict):
    max_age_days: float | None = Field(
        30, gt=0, description="Delete unlocked footage older than this (per camera/area override)."
    )
    quota_gb: float | None = Field(
        None,
        gt=0,
        description="Upper bound for all recordings; oldest unlocked goes first.",
    )
    keep_free_gb: float = Field(
        1.0, ge=0, description="Keep at least this much free on the recordings disk."
    )
    check_interval_seconds: float = Field(
        30.0, gt=0, description="How often retention runs (it also runs when the disk fills)."
    )


class RecordingConfig(Strict):
    enabled: bool = Field(True, description="Record every enabled camera around the clock.")
    segment_seconds: float = Field(
        10.0, ge=1, le=600, description="Target segment length; cuts happen on the next keyframe."
    )
    storage_dir: Path | None = Field(
        None, description="Where segments are written. Default: <data_dir>/recordings."
    )
    rtsp_transport: Literal["tcp", "udp"] = Field(
        "tcp", description="RTSP transport for cameras that don't say otherwise."
    )
    rtsp_client: Literal["wardeye", "ffmpeg"] = Field(
        "wardeye",
        description="Who reads RTSP over TCP: WardEye's own client (reads each camera a few "
        "times a second, see docs/performance.md) or FFmpeg's. UDP always uses FFmpeg.",
    )
    read_interval_seconds: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="WardEye's RTSP client: pause between socket reads while nobody watches the "
        "camera live. Longer costs less CPU (each wake-up of a reader costs more than the "
        "packets it handles); analytics see packets up to this much later.",
    )
    live_read_interval_seconds: float = Field(
        0.04,
        ge=0.0,
        le=1.0,
        description="WardEye's RTSP client: pause between socket reads while someone watches "
        "the camera live (about one frame, so live view gets each frame as it arrives).",
    )
    record_substream: bool = Field(
        False, description="Also record the sub stream (the main stream is always recorded)."
    )
    reconnect: ReconnectConfig = Field(
        default_factory=ReconnectConfig, description="Reconnect policy."
    )
    retention: RetentionConfig = Field(
        default_factory=RetentionConfig, description="What to delete, and when."
    )


class AreaSeed(Strict):
    name: str = Field(description="Name exactly as written locally, diacritics included.")
    level: Literal["province", "district", "commune", "village"] = Field(
        description="Administrative level: province › district › commune/ward › village."
    )
    code: str | None = Field(None, description="Official administrative code, if known.")
    children: list[AreaSeed] = Field(default_factory=list, description="Areas inside this one.")


class MapConfig(Strict):
    tile_url: str | None = Field(
        None,
        description="Tile server on your own network, as a URL template with {z}/{x}/{y} "
        "(e.g. http://10.0.0.5:8081/{z}/{x}/{y}.png). None: a plain coordinate grid that "
        "needs no Internet.",
    )
    tile_attribution: str = Field("", description="Credit line shown for the tile source.")
    max_zoom: int = Field(19, ge=1, le=24, description="Deepest zoom the tile source serves.")
    overlay_image: Path | None = Field(
        None,
        description="A map picture (PNG/JPEG, e.g. a scanned commune map) drawn at "
        "overlay_bounds; served by WardEye itself.",
    )
    overlay_bounds: tuple[tuple[float, float], tuple[float, float]] | None = Field(
        None, description="[[south, west], [north, east]] of overlay_image, WGS84 degrees."
    )
    center: tuple[float, float] | None = Field(
        None, description="[latitude, longitude] shown when no camera has coordinates."
    )
    zoom: int = Field(15, ge=1, le=24, description="Zoom used with center.")


class SigninConfig(Strict):
    free_failures: int = Field(
        5,
        ge=1,
        le=1000,
        description="Wrong passwords allowed for one account name (or from one client address) "
        "before each next try must wait.",
    )
    delay_base_seconds: float = Field(
        1.0,
        gt=0,
        le=3600,
        description="Wait after the first failure past free_failures; it doubles with each "
        "further failure (answered 429 with Retry-After, the password is not checked).",
    )
    max_delay_seconds: float = Field(300.0, gt=0, le=86400, description="Cap of that growing wait.")
    lockout_failures: int = Field(
        20,
        ge=1,
        le=10000,
        description="Failures (per account name, and per client address) that lock sign-in "
        "for lockout_seconds. Audited; an admin can lift it (`wardeye user unlock`).",
    )
    lockout_seconds: float = Field(
        900.0, gt=0, le=30 * 86400, description="How long a lockout lasts."
    )
    forget_failures_after_seconds: float = Field(
        86400.0,
        gt=0,
        description="Failures older than this (with none since) are forgotten.",
    )
    session_idle_seconds: float = Field(
        1800.0, gt=0, description="A session unused this long ends (idle expiry)."
    )
    session_absolute_seconds: float = Field(
        12 * 3600.0,
        gt=0,
        description="A session ends this long after sign-in, however busy (absolute expiry).",
    )
    second_factor: Literal["sensitive_roles", "everyone", "optional"] = Field(
        "sensitive_roles",
        description="Who must use a TOTP second factor: roles that can export or lift privacy "
        "masks (default), every account, or nobody (anyone may still turn it on).",
    )
    second_factor_step_seconds: float = Field(
        300.0,
        gt=0,
        le=3600,
        description="Time allowed between the password and the code (or the enrolment).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (e.g. https://cameras.example.vn) whose pages may send "
        "state-changing requests with the session cookie, besides the host itself.",
    )
    token_max_days: float = Field(
        366.0, gt=0, le=3660, description="Longest lifetime an API token may be given."
    )


class DemoConfig(Strict):
    media_dir: Path | None = Field(
        None,
        description="Folder holding the footage prepared by setup "
        "(default: $WARDEYE_MEDIA_DIR, else ./.media).",
    )
    cameras: int = Field(4, ge=1, le=32, description="How many demo cameras to start.")


class AnalyticsConfig(Strict):
    enabled: bool = Field(
        False,
        description="Run analytics (motion, people/vehicle detection, tracking, zone and line "
        "rules, tamper) in worker processes beside recording.",
    )
    fps: float = Field(5.0, gt=0, le=30, description="Frames analysed per second per camera.")
    workers: int = Field(
        1, ge=1, le=64, description="Worker processes; cameras are shared out among them."
    )
    stream: Literal["sub", "main"] = Field(
        "sub", description="Stream analysed; cameras without a sub stream use their main one."
    )
    detector: DetectorSettings = Field(
        default_factory=NanoDetSettings,
        description="Object detector: {type: nanodet} (default), darknet or onnx_yolo.",
    )
    models_dir: Path | None = Field(
        None,
        description="Folder prepared by scripts/prepare_models.py "
        "(default: $WARDEYE_MODELS_DIR, else ./.models).",
    )
    queue_packets: int = Field(
        500,
        ge=10,
        description="Compressed packets buffered per worker; when full the oldest are dropped, "
        "so recording never waits for analytics.",
    )
    max_lag_seconds: float = Field(
        3.0,
        gt=0,
        description="A frame older than this when its turn comes is decoded but not analysed, "
        "so an overloaded worker catches up by analysing fewer frames instead of dropping "
        "packets.",
    )
    heartbeat_timeout_seconds: float = Field(
        20.0, gt=0, description="A worker silent for this long is killed and restarted."
    )
    restart_initial_seconds: float = Field(
        1.0, gt=0, description="First wait before restarting a dead worker."
    )
    restart_max_seconds: float = Field(
        60.0, gt=0, description="Longest wait between restarts of a worker that keeps dying."
    )
    offline_events: bool = Field(
        True, description="Record an event when a camera goes offline (and when it comes back)."
    )

    def resolved_models_dir(self) -> Path:
        if self.models_dir is not None:
            return self.models_dir
        configured = os.environ.get("WARDEYE_MODELS_DIR")
        if configured:
            return Path(configured)
        local = Path.cwd() / ".models"
        checkout = Path(__file__).resolve().parents[3] / ".models"
        return local if local.is_dir() or not checkout.is_dir() else checkout


class AccessConfig(Strict):
    reason_required_for: list[Literal["view_live", "view_recorded", "search", "export"]] = Field(
        ["view_recorded", "search"],
        description="Accesses for which the viewer must state why (kept in the audit); live "
        "view of public cameras needs none by default.",
    )


class Config(Strict):
    site_name: str = Field("WardEye", description="Shown in the web app's title bar.")
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="Zone in which times are shown to viewers."
    )
    data_dir: Path = Field(
        Path("./var"), description="Catalog, recordings and runtime files live under here."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the catalog. Default: SQLite in data_dir. "
        "Overridden by WARDEYE_DATABASE_URL.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies. Overridden by WARDEYE_SECRET_KEY; "
        "generated and kept in data_dir when absent.",
    )
    server: ServerConfig = Field(default_factory=ServerConfig, description="Web/API listener.")
    recording: RecordingConfig = Field(
        default_factory=RecordingConfig, description="Recording engine settings."
    )
    areas: list[AreaSeed] = Field(
        default_factory=list, description="Area tree created in the catalog at start if missing."
    )
    demo: DemoConfig = Field(default_factory=DemoConfig, description="Settings of `wardeye demo`.")
    map: MapConfig = Field(
        default_factory=MapConfig, description="Map page: offline by default, or your tiles."
    )
    analytics: AnalyticsConfig = Field(
        default_factory=AnalyticsConfig, description="Video analytics and the events they raise."
    )
    signin: SigninConfig = Field(
        default_factory=SigninConfig,
        description="Sign-in hardening: throttling, lockout, sessions, second factor, origins.",
    )
    access: AccessConfig = Field(
        default_factory=lambda: AccessConfig(),
        description="Access policy: which accesses need a stated reason.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'catalog.sqlite3').resolve()}"

    def recordings_dir(self) -> Path:
        return self.recording.storage_dir or (self.data_dir / "recordings")

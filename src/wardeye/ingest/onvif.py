"""Find ONVIF cameras on the local network segment and read their stream addresses.

Two steps, as an admin adds cameras: ``discover`` sends a WS-Discovery probe (UDP multicast
239.255.255.250:3702 on every non-loopback interface, via the ``WSDiscovery`` package) and lists
what answers; ``describe_device`` asks one device for its media profiles and RTSP URIs through
``onvif-zeep``, whose WSDL files ship inside the package (nothing is fetched at run time).

Both packages are the optional extra ``wardeye[onvif]`` and are imported only when used.
``onvif`` calls ``logging.basicConfig`` on import and its ``ONVIFCamera`` drops ``http_proxy``
from the environment; both side effects are undone here.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from wardeye.core.errors import WardEyeError

log = logging.getLogger(__name__)

NVT_NAMESPACE = "http://www.onvif.org/ver10/network/wsdl"
NVT_TYPE = "NetworkVideoTransmitter"
SCOPE_PREFIX = "onvif://www.onvif.org/"
RECORDABLE_ENCODINGS = ("H264", "H265")
ZEEP_NOT_SOAP = "Unknown fault occured"  # zeep's Fault text when the body is no SOAP envelope
INSTALL_HINT = "ONVIF support needs the optional packages: pip install 'wardeye[onvif]'"


class OnvifError(WardEyeError):
    """Talking ONVIF to a device failed; the message says why in plain words."""


class NoOnvif(OnvifError):
    """Nothing ONVIF answers there: port closed, or a service that does not speak ONVIF SOAP."""


class OnvifAuthFailed(OnvifError):
    """The device speaks ONVIF but refused the user name or password."""


@dataclass(frozen=True, slots=True)
class DiscoveredCamera:
    """One answer to a WS-Discovery probe: where the device service is and what it says it is."""

    endpoint: str  # WS-Addressing endpoint reference, e.g. urn:uuid:...
    xaddrs: tuple[str, ...]  # device service URLs
    host: str | None
    name: str | None
    hardware: str | None
    location: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OnvifProfile:
    """A media profile: one encoder setting and the RTSP URI that streams it (no credentials)."""

    token: str
    name: str
    encoding: str | None
    width: int | None
    height: int | None
    fps: float | None
    bitrate_kbps: int | None
    stream_uri: str | None

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True, slots=True)
class OnvifDevice:
    """A device's identity and streams; ``main_uri``/``sub_uri`` are chosen from the profiles."""

    xaddr: str
    manufacturer: str | None
    model: str | None
    firmware: str | None
    serial: str | None
    profiles: tuple[OnvifProfile, ...]
    main_uri: str | None
    sub_uri: str | None


def _require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OnvifError(f"{INSTALL_HINT} ({exc.name} is missing)") from None


@contextlib.contextmanager
def _contained_side_effects() -> Iterator[None]:
    """Undo what onvif-zeep does to the process: root logging config and proxy variables."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    proxies = {k: os.environ[k] for k in ("http_proxy", "https_proxy") if k in os.environ}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        os.environ.update(proxies)


# -- discovery ------------------------------------------------------------------------------


def discover(timeout: float = 3.0) -> list[DiscoveredCamera]:
    """Probe the local segment for ONVIF video transmitters for ``timeout`` seconds.
    Returns an empty list (not an error) when nothing answers."""
    discovery = _require("wsdiscovery.discovery")
    wsd = _require("wsdiscovery")
    nvt = wsd.QName(NVT_NAMESPACE, NVT_TYPE, "dn")
    probe = discovery.ThreadedWSDiscovery()
    probe.start()
    try:
        services = probe.searchServices(types=[nvt], timeout=timeout)
    finally:
        probe.stop()
    found = [_discovered(service) for service in services]
    log.info("ONVIF discovery: %d device(s) answered within %.1f s", len(found), timeout)
    return sorted(found, key=lambda d: (d.host or "", d.endpoint))


def _discovered(service: Any) -> DiscoveredCamera:
    xaddrs = tuple(str(x) for x in service.getXAddrs())
    scopes = tuple(str(s.getValue()) for s in service.getScopes())
    host = urlsplit(xaddrs[0]).hostname if xaddrs else None
    return DiscoveredCamera(
        endpoint=str(service.getEPR()),
        xaddrs=xaddrs,
        host=host,
        name=scope_value(scopes, "name"),
        hardware=scope_value(scopes, "hardware"),
        location=scope_value(scopes, "location"),
        scopes=scopes,
    )


def scope_value(scopes: Sequence[str], key: str) -> str | None:
    """The value of ``onvif://www.onvif.org/<key>/<value>`` scopes (URL-decoded), if any."""
    prefix = f"{SCOPE_PREFIX}{key}/"
    values = [unquote(s[len(prefix) :]) for s in scopes if s.startswith(prefix)]
    return " / ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class DiscoveredStreams:
    """A discovered device with its streams, or the plain-words reason they could not be read."""

    found: DiscoveredCamera
    device: OnvifDevice | None
    error: str | None


def discover_with_streams(
    user: str, password: str, timeout: float = 3.0, device_timeout: float = 10.0
) -> list[DiscoveredStreams]:
    """Discovery, then ``describe_device`` on each answer with the given credentials (one
    camera's failure does not hide the others)."""
    results = []
    for found in discover(timeout):
        target = _host_port(found.xaddrs)
        if target is None:
            results.append(DiscoveredStreams(found, None, "it announced no usable address"))
            continue
        try:
            device = describe_device(*target, user, password, device_timeout)
        except OnvifError as exc:
            results.append(DiscoveredStreams(found, None, str(exc)))
        else:
            results.append(DiscoveredStreams(found, device, None))
    return results


def _host_port(xaddrs: Sequence[str]) -> tuple[str, int] | None:
    for xaddr in xaddrs:
        parts = urlsplit(xaddr)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            continue
        if parts.hostname:
            return parts.hostname, port
    return None


# -- one device -----------------------------------------------------------------------------


def describe_device(
    host: str, port: int = 80, user: str = "", password: str = "", timeout: float = 10.0
) -> OnvifDevice:
    """Ask a device at ``host:port`` for its identity, media profiles and RTSP URIs.
    Raises NoOnvif, OnvifAuthFailed or OnvifError with a message naming host and port."""
    with _contained_side_effects():
        onvif = _require("onvif")
    transports = _require("zeep.transports")
    where = f"{host}:{port}"
    transport = transports.Transport(timeout=timeout, operation_timeout=timeout)
    started = time.monotonic()
    with _contained_side_effects(), _translated(where, timeout, started):
        camera = onvif.ONVIFCamera(
            host, port, user, password, no_cache=True, transport=transport, adjust_time=False
        )
        info = camera.devicemgmt.GetDeviceInformation()
        media = camera.create_media_service()
        profiles = tuple(_profile(media, p) for p in media.GetProfiles())
    main, sub = choose_streams(profiles)
    return OnvifDevice(
        xaddr=f"http://{where}/onvif/device_service",
        manufacturer=_text(info, "Manufacturer"),
        model=_text(info, "Model"),
        firmware=_text(info, "FirmwareVersion"),
        serial=_text(info, "SerialNumber"),
        profiles=profiles,
        main_uri=main.stream_uri if main else None,
        sub_uri=sub.stream_uri if sub else None,
    )


def _profile(media: Any, profile: Any) -> OnvifProfile:
    encoder = getattr(profile, "VideoEncoderConfiguration", None)
    resolution = getattr(encoder, "Resolution", None)
    limits = getattr(encoder, "RateControl", None)
    request = {
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        "ProfileToken": profile.token,
    }
    uri = media.GetStreamUri(request)
    return OnvifProfile(
        token=str(profile.token),
        name=str(getattr(profile, "Name", "") or ""),
        encoding=_text(encoder, "Encoding"),
        width=_int(resolution, "Width"),
        height=_int(resolution, "Height"),
        fps=_float(limits, "FrameRateLimit"),
        bitrate_kbps=_int(limits, "BitrateLimit"),
        stream_uri=_text(uri, "Uri"),
    )


def choose_streams(
    profiles: Sequence[OnvifProfile],
) -> tuple[OnvifProfile | None, OnvifProfile | None]:
    """Main: the largest H.264/H.265 profile with a URI. Sub: the smallest other one, H.264
    preferred (browsers play it live). Cameras list main first, but not all of them do."""
    usable = [p for p in profiles if p.stream_uri]
    recordable = [p for p in usable if (p.encoding or "").upper() in RECORDABLE_ENCODINGS]
    if not recordable:
        return None, None
    main = max(recordable, key=lambda p: p.pixels)
    others = [p for p in recordable if p is not main and p.stream_uri != main.stream_uri]
    if not others:
        return main, None
    sub = min(others, key=lambda p: ((p.encoding or "").upper() != "H264", p.pixels))
    return main, sub


def with_credentials(uri: str, user: str, password: str) -> str:
    """The stream URI with credentials inserted (cameras return URIs without them)."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, ""))


def _text(obj: Any, attr: str) -> str | None:
    value = getattr(obj, attr, None)
    return str(value) if value not in (None, "") else None


def _float(obj: Any, attr: str) -> float | None:
    value = getattr(obj, attr, None)
    return float(value) if value is not None else None


def _int(obj: Any, attr: str) -> int | None:
    value = getattr(obj, attr, None)
    return int(value) if value is not None else None


@contextlib.contextmanager
def _translated(where: str, timeout: float, started: float) -> Iterator[None]:
    """Turn onvif/zeep/requests failures into the three answers an admin can act on."""
    try:
        yield
    except OnvifError:
        raise
    except Exception as exc:
        cause = exc.__context__ if type(exc).__name__ == "ONVIFError" else exc
        raise _explain(where, cause or exc, timeout, started) from None


def _explain(where: str, exc: BaseException, timeout: float, started: float) -> OnvifError:
    name = type(exc).__name__
    text = str(exc)
    status = getattr(exc, "status_code", None)
    fault_codes = f"{getattr(exc, 'code', '')} {getattr(exc, 'subcodes', '')}"
    if name == "Fault" and getattr(exc, "code", None) is None and text == ZEEP_NOT_SOAP:
        return NoOnvif(f"{where}: answers HTTP, but not with ONVIF SOAP (a web page?)")
    if status in (401, 403) or "NotAuthorized" in fault_codes or "authoriz" in text.lower():
        return OnvifAuthFailed(f"{where}: the device refused the user name or password")
    if name in ("ConnectTimeout", "ReadTimeout", "Timeout") or (
        time.monotonic() - started >= timeout and name != "ConnectionError"
    ):
        return NoOnvif(f"{where}: no ONVIF answer within {timeout:g} s")
    if name == "ConnectionError":
        reason = "connection refused" if "refused" in text.lower() else "cannot connect"
        return NoOnvif(f"{where}: {reason}; the camera may not have ONVIF (or it is disabled)")
    if status is not None:
        return NoOnvif(
            f"{where}: answers HTTP {status} but is not an ONVIF device service "
            "(enable ONVIF on the camera, or check the port)"
        )
    if name in ("XMLSyntaxError", "XMLParseError", "UnexpectedElementError"):
        return NoOnvif(f"{where}: answers, but not with ONVIF SOAP (a web page?)")
    if name == "Fault":
        return OnvifError(f"{where}: the device returned an ONVIF error: {text}")
    return OnvifError(f"{where}: ONVIF request failed ({name}: {text})")

#!/usr/bin/python3
"""RTSP camera simulator on GStreamer's gst-rtsp-server (run with Debian's /usr/bin/python3).

Why a separate script: python3-gi exists only for the system interpreter, so tests start this
as a subprocess (wardeye.testing.rtsp_server.RtspSimulator does). It serves real H.264/H.265
clips looped forever without transcoding, paced in real time, like a camera would:

    rtsp_sim.py PORT MOUNT... [--host 127.0.0.1] [--auth NAME:USER:PASS]...
    MOUNT = NAME:loop:/path/clip.mp4   (H.264 or H.265 in MP4, access units replayed)
          | NAME:test:WIDTHxHEIGHT      (live videotestsrc + x264enc, costs encode CPU)

PORT 0 picks a free port. Once serving it prints ``READY rtsp://HOST:PORT/``. Control lines on
stdin, each answered by one ``OK ...`` or ``ERR ...`` line on stdout:
    stop NAME            unmount NAME and drop its clients (the camera goes down)
    start NAME           serve NAME again
    auth NAME USER PASS  require RTSP Digest auth on NAME from now on
    status               list the mounts being served
    quit                 exit (end of stdin does the same)

Clips are replayed with synthetic timestamps (frame i at i x frame duration, continuing across
loops) from an appsrc: looping a raw .h264 through multifilesrc has no timestamps and floods.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ANONYMOUS = "anonymous"
ACCESS = "media.factory.access"
CONSTRUCT = "media.factory.construct"
ROLE = "media.factory.role"
PARSED_CAPS = "video/x-{codec},stream-format=byte-stream,alignment=au"


@dataclass(frozen=True)
class AccessUnit:
    data: bytes
    keyframe: bool
    pts_offset: int  # pts - dts in ns; 0 unless the clip has B-frames


@dataclass(frozen=True)
class Clip:
    """A clip's compressed frames in decode order, loaded once and shared by all clients."""

    codec: str  # "h264" or "h265"
    fps_num: int
    fps_den: int
    units: tuple[AccessUnit, ...]

    def timestamp(self, index: int) -> int:
        return index * Gst.SECOND * self.fps_den // self.fps_num  # type: ignore[no-any-return]


@dataclass
class Mount:
    name: str
    kind: str  # "loop" or "test"
    source: str  # clip path or WxH
    clip: Clip | None = None
    credentials: tuple[str, str] | None = None
    factory: Any = None  # the RTSPMediaFactory while mounted


@dataclass
class Feeder:
    """Pushes one access unit per need-data; one feeder per (shared) media pipeline."""

    clip: Clip
    index: int = field(default=0)

    def need_data(self, appsrc: Any, _length: int) -> None:
        unit = self.clip.units[self.index % len(self.clip.units)]
        buf = Gst.Buffer.new_wrapped(unit.data)
        dts = self.clip.timestamp(self.index)
        buf.dts = dts
        buf.pts = dts + unit.pts_offset
        buf.duration = self.clip.timestamp(self.index + 1) - dts
        if not unit.keyframe:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        self.index += 1
        appsrc.emit("push-buffer", buf)


def log(message: str) -> None:
    print(f"rtsp_sim: {message}", file=sys.stderr, flush=True)


def load_clip(path: str) -> Clip:
    """Demux and parse the MP4 once into byte-stream access units (SPS/PPS before each IDR)."""
    pipeline = Gst.Pipeline.new("load")
    src = Gst.ElementFactory.make("filesrc")
    demux = Gst.ElementFactory.make("qtdemux")
    sink = Gst.ElementFactory.make("appsink")
    src.set_property("location", path)
    sink.set_property("sync", False)
    for element in (src, demux, sink):
        pipeline.add(element)
    src.link(demux)
    found: dict[str, str] = {}

    def on_pad(_demux: Any, pad: Any) -> None:
        name = pad.query_caps(None).get_structure(0).get_name()
        codec = {"video/x-h264": "h264", "video/x-h265": "h265"}.get(name)
        if codec is None or found:
            return
        found["codec"] = codec
        parse = Gst.ElementFactory.make(f"{codec}parse")
        parse.set_property("config-interval", -1)
        caps = Gst.ElementFactory.make("capsfilter")
        caps.set_property("caps", Gst.Caps.from_string(PARSED_CAPS.format(codec=codec)))
        pipeline.add(parse)
        pipeline.add(caps)
        parse.link(caps)
        caps.link(sink)
        caps.sync_state_with_parent()
        parse.sync_state_with_parent()
        pad.link(parse.get_static_pad("sink"))

    demux.connect("pad-added", on_pad)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        return _pull_units(pipeline, sink, found, path)
    finally:
        pipeline.set_state(Gst.State.NULL)


def _pull_units(pipeline: Any, sink: Any, found: dict[str, str], path: str) -> Clip:
    units: list[AccessUnit] = []
    fps = (0, 1)
    idle = 0
    while True:
        sample = sink.emit("try-pull-sample", Gst.SECOND // 10)
        if sample is None:
            if sink.get_property("eos"):
                break
            msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            idle += 1
            if msg is not None or idle > 100:
                detail = msg.parse_error()[0].message if msg else "no data for 10 s"
                raise RuntimeError(f"cannot read {path}: {detail}")
            continue
        idle = 0
        if not units:
            ok, num, den = sample.get_caps().get_structure(0).get_fraction("framerate")
            fps = (num, den) if ok and num > 0 else (25, 1)
        buf = sample.get_buffer()
        offset = 0
        if buf.pts != Gst.CLOCK_TIME_NONE and buf.dts != Gst.CLOCK_TIME_NONE:
            offset = max(0, buf.pts - buf.dts)
        units.append(
            AccessUnit(
                data=buf.extract_dup(0, buf.get_size()),
                keyframe=not buf.has_flags(Gst.BufferFlags.DELTA_UNIT),
                pts_offset=offset,
            )
        )
    if not units or "codec" not in found:
        raise RuntimeError(f"{path} has no H.264/H.265 video track")
    if not units[0].keyframe:
        raise RuntimeError(f"{path} does not start with a keyframe")
    return Clip(found["codec"], fps[0], fps[1], tuple(units))


def clip_launch(clip: Clip) -> str:
    caps = PARSED_CAPS.format(codec=clip.codec) + f",framerate={clip.fps_num}/{clip.fps_den}"
    return (
        f'( appsrc name=src is-live=false format=time caps="{caps}" ! {clip.codec}parse '
        f"! rtp{clip.codec}pay name=pay0 pt=96 config-interval=-1 )"
    )


def test_launch(size: str) -> str:
    width, height = (int(v) for v in size.lower().split("x"))
    return (
        "( videotestsrc is-live=true pattern=smpte horizontal-speed=4 "
        f"! video/x-raw,width={width},height={height},framerate=25/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=50 bitrate=1000 "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


class Simulator:
    """Owns the server, its mounts and the auth table; every method runs on the GLib loop."""

    def __init__(self, server: Any, mounts: list[Mount]) -> None:
        self.server = server
        self.mounts = {m.name: m for m in mounts}
        self.auth = GstRtspServer.RTSPAuth()
        anonymous = GstRtspServer.RTSPToken()
        anonymous.set_string(ROLE, ANONYMOUS)
        self.auth.set_default_token(anonymous)
        # Digest, as most cameras ask. (PyGObject cannot pass BASIC | DIGEST: the binding
        # takes this bit mask for a plain enum.)
        self.auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(self.auth)

    def role(self, mount: Mount) -> str:
        return f"user-{mount.name}"

    def permissions(self, mount: Mount) -> Any:
        """Who may see (access) and stream (construct) a mount.

        Anonymous clients may always *access* a mount, so a protected one answers 401 with a
        challenge (clients such as FFmpeg only send credentials after one) instead of 404.
        """
        perms = GstRtspServer.RTSPPermissions()
        users = [self.role(m) for m in self.mounts.values() if m.credentials]
        streamers = [self.role(mount)] if mount.credentials else [ANONYMOUS, *users]
        for role in {ANONYMOUS, *users, *streamers}:
            perms.add_permission_for_role(role, ACCESS, True)
            perms.add_permission_for_role(role, CONSTRUCT, role in streamers)
        return perms

    def make_factory(self, mount: Mount) -> Any:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_shared(True)
        if mount.clip is not None:
            factory.set_launch(clip_launch(mount.clip))
            factory.connect("media-configure", self.on_media_configure, mount.clip)
        else:
            factory.set_launch(test_launch(mount.source))
        factory.set_permissions(self.permissions(mount))
        return factory

    @staticmethod
    def on_media_configure(_factory: Any, media: Any, clip: Clip) -> None:
        appsrc = media.get_element().get_by_name_recurse_up("src")
        appsrc.connect("need-data", Feeder(clip).need_data)

    def start(self, name: str) -> str:
        mount = self.mounts[name]
        if mount.factory is not None:
            return f"OK start {name} (already serving)"
        mount.factory = self.make_factory(mount)
        self.server.get_mount_points().add_factory(f"/{name}", mount.factory)
        return f"OK start {name}"

    def stop(self, name: str) -> str:
        mount = self.mounts[name]
        if mount.factory is None:
            return f"OK stop {name} (already stopped)"
        self.server.get_mount_points().remove_factory(f"/{name}")
        mount.factory = None
        dropped = self.drop_clients(f"/{name}")
        return f"OK stop {name} (dropped {dropped} clients)"

    def drop_clients(self, path: str) -> int:
        """Close the connections of clients with a session on path, like a camera reboot."""
        dropped = 0
        for client in self.server.client_filter(None):
            for session in client.session_filter(None):
                media, _matched = session.get_media(path)
                if media is not None:
                    client.close()
                    dropped += 1
                    break
        return dropped

    def set_auth(self, name: str, user: str, password: str) -> str:
        mount = self.mounts[name]
        mount.credentials = (user, password)
        token = GstRtspServer.RTSPToken()
        token.set_string(ROLE, self.role(mount))
        self.auth.add_digest(user, password, token)
        for other in self.mounts.values():
            if other.factory is not None:
                other.factory.set_permissions(self.permissions(other))
        return f"OK auth {name}"

    def status(self) -> str:
        serving = [m.name for m in self.mounts.values() if m.factory is not None]
        return "OK serving " + ",".join(serving)

    def command(self, line: str, quit_loop: Callable[[], None]) -> str:
        words = line.split()
        if not words:
            return "ERR empty command"
        verb, args = words[0], words[1:]
        if verb == "quit":
            quit_loop()
            return "OK quit"
        if verb == "status":
            return self.status()
        if not args or args[0] not in self.mounts:
            return f"ERR unknown mount in {line!r}"
        if verb in ("stop", "start") and len(args) == 1:
            return self.stop(args[0]) if verb == "stop" else self.start(args[0])
        if verb == "auth" and len(args) == 3:
            return self.set_auth(*args)
        return f"ERR bad command {line!r}"


def parse_mount(spec: str) -> Mount:
    name, kind, source = [*spec.split(":", 2), "", ""][:3]
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"bad mount name in {spec!r}")
    if kind == "loop" and source:
        return Mount(name, kind, source)
    if kind == "test" and "x" in source.lower():
        return Mount(name, kind, source)
    raise ValueError(f"bad mount {spec!r}: use NAME:loop:/path.mp4 or NAME:test:WxH")


def read_stdin(sim: Simulator, loop: Any) -> None:
    """Forward control lines to the GLib loop, which answers them in order; EOF means quit."""

    def handle(line: str) -> bool:
        try:
            answer = sim.command(line, loop.quit)
        except Exception as exc:  # report it and keep serving
            answer = f"ERR {type(exc).__name__}: {exc}"
        print(answer, flush=True)
        return False

    for raw in sys.stdin:
        GLib.idle_add(handle, raw.strip())
    GLib.idle_add(loop.quit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="RTSP camera simulator (gst-rtsp-server)")
    parser.add_argument("port", type=int)
    parser.add_argument("mounts", nargs="+", metavar="NAME:loop:PATH|NAME:test:WxH")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--auth", action="append", default=[], metavar="NAME:USER:PASS")
    args = parser.parse_args(argv)
    Gst.init(None)
    try:
        mounts = [parse_mount(spec) for spec in args.mounts]
        for mount in mounts:
            if mount.kind == "loop":
                mount.clip = load_clip(mount.source)
                log(f"{mount.name}: {len(mount.clip.units)} {mount.clip.codec} access units")
    except (ValueError, RuntimeError) as exc:
        log(f"error: {exc}")
        return 2
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    sim = Simulator(server, mounts)
    for spec in args.auth:
        name, user, password = spec.split(":", 2)
        sim.set_auth(name, user, password)
    for mount in mounts:
        sim.start(mount.name)
    if server.attach(None) == 0:
        log(f"error: cannot listen on {args.host}:{args.port}")
        return 2
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    GLib.timeout_add_seconds(2, lambda: server.get_session_pool().cleanup() >= 0)
    threading.Thread(target=read_stdin, args=(sim, loop), daemon=True).start()
    print(f"READY rtsp://{args.host}:{server.get_bound_port()}/", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`wardeye camera probe|discover|onvif`: find cameras and check they can be recorded."""

from __future__ import annotations

import typer
from rich.table import Table

from wardeye.cli.cameras import app
from wardeye.cli.context import console, err_console
from wardeye.core.errors import WardEyeError
from wardeye.core.redact import redact_url


@app.command("probe")
def probe(
    url: str = typer.Argument(help="Stream URL, e.g. rtsp://user:pass@192.168.1.10/stream1"),
    timeout: float = typer.Option(10.0, help="Seconds to wait for the camera."),
    seconds: float = typer.Option(3.0, help="Seconds of packets to measure."),
    udp: bool = typer.Option(False, "--udp", help="RTSP over UDP instead of TCP."),
) -> None:
    """Connect to a camera: codec, resolution, fps, bitrate, and can it be recorded."""
    from wardeye.ingest.probe import probe as run_probe

    try:
        result = run_probe(url, timeout, seconds, "udp" if udp else "tcp")
    except WardEyeError as exc:
        err_console.print(f"[red]cannot probe:[/red] {exc}")
        raise typer.Exit(1) from None
    table = Table(show_header=False, title=result.url)
    fps = f"{result.fps:.2f}" if result.fps else "?"
    bitrate = f"{result.bitrate_bps / 1e6:.2f} Mbit/s" if result.bitrate_bps else "?"
    gop = f"{result.keyframe_interval_s:.2f} s" if result.keyframe_interval_s else "?"
    rows = [
        ("codec", f"{result.codec} {result.profile or ''}".strip()),
        ("resolution", f"{result.width}x{result.height}"),
        ("fps", fps),
        ("bitrate", bitrate),
        ("keyframe every", gop),
        ("audio", result.audio_codec or "none"),
        ("recordable", "yes" if result.recordable else "NO: " + "; ".join(result.reasons)),
    ]
    for key, value in rows:
        table.add_row(key, value)
    for warning in result.warnings:
        table.add_row("warning", warning)
    console.print(table)
    if not result.recordable:
        raise typer.Exit(1)


@app.command("discover")
def discover(timeout: float = typer.Option(3.0, help="Seconds to listen for answers.")) -> None:
    """Find ONVIF cameras on the local network segment (WS-Discovery)."""
    from wardeye.ingest.onvif import discover as run_discover

    try:
        found = run_discover(timeout)
    except WardEyeError as exc:
        err_console.print(f"[red]discovery failed:[/red] {exc}")
        raise typer.Exit(1) from None
    if not found:
        console.print(f"no ONVIF camera answered within {timeout:g} s")
        return
    table = Table("host", "name", "hardware", "device service")
    for cam in found:
        table.add_row(cam.host or "?", cam.name or "", cam.hardware or "", " ".join(cam.xaddrs))
    console.print(table)


@app.command("onvif")
def onvif(
    host: str = typer.Argument(help="Camera address."),
    port: int = typer.Option(80, help="ONVIF device service port."),
    user: str = typer.Option("", help="Camera user."),
    password: str = typer.Option("", help="Camera password.", envvar="WARDEYE_CAMERA_PASSWORD"),
    timeout: float = typer.Option(10.0, help="Seconds to wait."),
) -> None:
    """Ask a camera for its ONVIF profiles and the main/sub stream URLs to register."""
    from wardeye.ingest.onvif import describe_device

    try:
        device = describe_device(host, port, user, password, timeout)
    except WardEyeError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{device.manufacturer or '?'} {device.model or ''} (firmware {device.firmware})")
    table = Table("profile", "encoding", "size", "fps", "stream")
    for p in device.profiles:
        size = f"{p.width}x{p.height}" if p.width else "?"
        fps = f"{p.fps:g}" if p.fps else "?"
        table.add_row(
            p.name or p.token, p.encoding or "?", size, fps, redact_url(p.stream_uri or "")
        )
    console.print(table)
    console.print(f"main stream: {device.main_uri or 'none usable'}")
    console.print(f"sub stream:  {device.sub_uri or 'none'}")

#!/usr/bin/env python3
"""Prepare the real footage that tests, benchmarks and the demo use.

Run once at setup (``scripts/setup`` calls it). It takes ``vtest.avi`` (a real CCTV-style clip)
out of Debian's ``opencv-doc`` package without installing it, transcodes it into the H.264/H.265
clips a camera would send, adds synthetic test patterns and a clip with a machine-readable
frame counter, and writes ``manifest.json`` from ffprobe. Files that already exist and probe as
expected are kept, so running it again is cheap. Only the standard library and the Debian
``ffmpeg``/``ffprobe``/``apt-get``/``dpkg-deb`` tools are used.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OPENCV_DOC_VTEST = "usr/share/doc/opencv-doc/examples/data/vtest.avi"
# Layout of the binary frame counter burned into clock_720p.mp4 (also in manifest.json and
# wardeye.testing.media): BITS squares of SQUARE px, MSB first, on a black band at the bottom.
CLOCK_BITS = 16
CLOCK_SQUARE = 32
CLOCK_PITCH = 40
CLOCK_MARGIN = 16
CLOCK_BAND = 64
X265_PARAMS = "keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error"


class MediaError(RuntimeError):
    """A step failed in a way the operator must fix (missing tool, no registry access)."""


@dataclass(frozen=True)
class Clip:
    """One file to produce and the properties it must probe with to count as valid."""

    name: str
    codec: str
    width: int
    height: int
    fps: float
    duration: float
    description: str
    args: Callable[[Path], list[str]] = field(repr=False)


def x264(fps: int, bitrate: str, gop: int) -> list[str]:
    """Camera-like H.264: constant GOP, no B-frames (as most IP cameras send), capped bitrate."""
    rate = bitrate.rstrip("kM")
    unit = bitrate[-1]
    return [
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", f"{int(rate) * 2}{unit}",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0",
        "-r", str(fps), "-an", "-movflags", "+faststart",
    ]  # fmt: skip


def testsrc(size: str, fps: int, seconds: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}", "-t", str(seconds)]


def find_font() -> str | None:
    """A bold monospace TTF for drawtext, or None (then the clock clip has no digits)."""
    if shutil.which("fc-match"):
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", "DejaVu Sans Mono:bold"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if out.endswith((".ttf", ".otf")) and Path(out).is_file():
            return out
    for candidate in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ):
        if Path(candidate).is_file():
            return candidate
    return None


def clock_filter(font: str | None) -> str:
    """Binary frame counter (always) plus big decimal digits and pts (when a font exists)."""
    band_w = CLOCK_MARGIN * 2 + CLOCK_BITS * CLOCK_PITCH - (CLOCK_PITCH - CLOCK_SQUARE)
    parts = [f"drawbox=x=0:y=ih-{CLOCK_BAND}:w={band_w}:h={CLOCK_BAND}:color=black:t=fill"]
    top = (CLOCK_BAND - CLOCK_SQUARE) // 2
    for i in range(CLOCK_BITS):
        weight = 2 ** (CLOCK_BITS - 1 - i)
        x = CLOCK_MARGIN + i * CLOCK_PITCH
        parts.append(
            f"drawbox=x={x}:y=ih-{CLOCK_BAND - top}:w={CLOCK_SQUARE}:h={CLOCK_SQUARE}"
            f":color=white:t=fill:enable='mod(floor(n/{weight}),2)'"
        )
    if font:
        parts.append(
            f"drawtext=fontfile={font}:text='%{{n}}':fontsize=200:fontcolor=white"
            ":box=1:boxcolor=black@0.8:boxborderw=20:x=(w-tw)/2:y=(h-th)/2"
        )
        parts.append(
            f"drawtext=fontfile={font}:text='%{{pts\\:hms}}':fontsize=48:fontcolor=yellow"
            ":box=1:boxcolor=black:x=w-tw-20:y=20"
        )
    return ",".join(parts)


def build_clips(font: str | None) -> list[Clip]:
    """Every derived clip, in the order they are made (vtest.avi must come first)."""
    src = "vtest.avi"
    return [
        Clip("vtest.mp4", "h264", 768, 576, 10, 79.5,
             "vtest.avi (opencv-doc, real CCTV-style plaza) as H.264, native size, GOP 2 s",
             lambda d: ["-i", str(d / src), *x264(10, "1M", 20)]),
        Clip("vtest_1080p.mp4", "h264", 1920, 1080, 25, 60.0,
             "vtest upscaled to a realistic 1080p 25 fps 4 Mbit/s main stream, 60 s",
             lambda d: ["-stream_loop", "1", "-i", str(d / src), "-t", "60",
                        "-vf", "scale=1920:1080,fps=25", *x264(25, "4M", 50)]),
        Clip("vtest_720p_sub.mp4", "h264", 640, 360, 10, 79.5,
             "vtest as a 640x360 10 fps 512 kbit/s sub-stream",
             lambda d: ["-i", str(d / src), "-vf", "scale=640:360", *x264(10, "512k", 20)]),
        Clip("testsrc_720p.mp4", "h264", 1280, 720, 25, 20.0,
             "ffmpeg testsrc2 1280x720 25 fps 2 Mbit/s, 20 s",
             lambda d: [*testsrc("1280x720", 25, 20), *x264(25, "2M", 50)]),
        Clip("testsrc_1080p.mp4", "h264", 1920, 1080, 25, 20.0,
             "ffmpeg testsrc2 1920x1080 25 fps 4 Mbit/s, 20 s",
             lambda d: [*testsrc("1920x1080", 25, 20), *x264(25, "4M", 50)]),
        Clip("testsrc_1080p_hevc.mp4", "hevc", 1920, 1080, 25, 10.0,
             "ffmpeg testsrc2 1920x1080 25 fps H.265 2 Mbit/s, 10 s",
             lambda d: [*testsrc("1920x1080", 25, 10), "-c:v", "libx265",
                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "2M",
                        "-x265-params", X265_PARAMS,
                        "-tag:v", "hvc1", "-an", "-movflags", "+faststart"]),
        Clip("clock_720p.mp4", "h264", 1280, 720, 25, 30.0,
             "testsrc2 720p 25 fps with the frame number burned in: big digits and a "
             f"{CLOCK_BITS}-bit binary counter at the bottom-left, 30 s",
             lambda d: [*testsrc("1280x720", 25, 30), "-vf", clock_filter(font),
                        *x264(25, "2M", 50)]),
    ]  # fmt: skip


def run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise MediaError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def probe(path: Path) -> dict[str, object] | None:
    """codec/size/fps/duration of the first video stream, or None if ffprobe can't read it."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-print_format", "json",
         "-show_streams", "-show_format", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
        stream = data["streams"][0]
        num, den = (int(x) for x in stream["avg_frame_rate"].split("/"))
        return {
            "codec": stream["codec_name"],
            "width": int(stream["width"]),
            "height": int(stream["height"]),
            "fps": round(num / den, 3) if den else 0.0,
            "duration": round(float(data["format"]["duration"]), 3),
            "bit_rate": int(data["format"].get("bit_rate", 0)),
            "size_bytes": path.stat().st_size,
        }
    except (KeyError, IndexError, ValueError, ZeroDivisionError):
        return None


def is_valid(path: Path, clip: Clip) -> bool:
    if not path.is_file():
        return False
    info = probe(path)
    return (
        info is not None
        and info["codec"] == clip.codec
        and (info["width"], info["height"]) == (clip.width, clip.height)
        and abs(float(str(info["fps"])) - clip.fps) < 0.05
        and abs(float(str(info["duration"])) - clip.duration) < 0.6
    )


VTEST = Clip("vtest.avi", "msmpeg4v3", 768, 576, 10, 79.5,
             "original vtest.avi from Debian opencv-doc (MPEG-4 v3 in AVI)",
             lambda d: [])  # fmt: skip


def fetch_vtest(dest: Path) -> None:
    """Copy vtest.avi from an installed opencv-doc, else extract it from the downloaded .deb."""
    installed = Path("/") / OPENCV_DOC_VTEST
    if installed.is_file():
        print(f"  copying {installed}")
        shutil.copyfile(installed, dest)
        return
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        raise MediaError("vtest.avi needs apt-get and dpkg-deb (Debian) to fetch opencv-doc")
    with tempfile.TemporaryDirectory(prefix="wardeye-opencv-doc-") as tmp:
        print("  apt-get download opencv-doc (about 96 MB, not installed)")
        _apt_download(Path(tmp))
        debs = sorted(Path(tmp).glob("opencv-doc_*.deb"))
        if not debs:
            raise MediaError("apt-get download opencv-doc produced no .deb")
        extract_member(debs[0], OPENCV_DOC_VTEST, dest)


def _apt_download(workdir: Path) -> None:
    """Download the .deb into workdir (as root apt warns that _apt can't write there: harmless)."""
    proc = subprocess.run(
        ["apt-get", "download", "-q", "opencv-doc"],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise MediaError(
            "apt-get download opencv-doc failed; run `apt-get update` and check access to the "
            f"Debian mirror.\n{proc.stderr.strip()}"
        )


def extract_member(deb: Path, member: str, dest: Path) -> None:
    """Stream the .deb's data tar through dpkg-deb and write one member (like dpkg -x, cheaper)."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=errors
        )
        assert proc.stdout is not None
        found = False
        with tarfile.open(fileobj=proc.stdout, mode="r|*") as tar:
            for info in tar:
                if info.name.removeprefix("./") == member and info.isfile():
                    src = tar.extractfile(info)
                    assert src is not None
                    with dest.open("wb") as out:
                        shutil.copyfileobj(src, out)
                    found = True
                    break
        proc.kill()  # the rest of the archive is not needed
        proc.stdout.close()
        proc.wait()
        if not found:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip()
            raise MediaError(f"{member} not found in {deb.name}. {detail}")


def make_clip(media: Path, clip: Clip) -> None:
    out = media / clip.name
    part = out.with_name(out.stem + ".part" + out.suffix)
    started = time.monotonic()
    run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         *clip.args(media), str(part)], f"ffmpeg for {clip.name}")  # fmt: skip
    if not is_valid(part, clip):
        raise MediaError(f"{clip.name}: ffmpeg output does not probe as expected: {probe(part)}")
    part.replace(out)
    print(f"  made {clip.name} in {time.monotonic() - started:.1f} s")


def write_manifest(media: Path, clips: list[Clip], font: str | None) -> None:
    files = {}
    for clip in clips:
        info = probe(media / clip.name)
        if info is None:
            raise MediaError(f"cannot probe {clip.name} for the manifest")
        files[clip.name] = {**info, "description": clip.description}
    manifest = {
        "files": files,
        "clock_counter": {
            "file": "clock_720p.mp4",
            "bits": CLOCK_BITS,
            "square": CLOCK_SQUARE,
            "pitch": CLOCK_PITCH,
            "margin": CLOCK_MARGIN,
            "band": CLOCK_BAND,
            "digits": font is not None,
        },
    }
    tmp = media / "manifest.json.part"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(media / "manifest.json")


def prepare(media: Path) -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            raise MediaError(f"{tool} not found: install Debian's ffmpeg (scripts/setup does)")
    media.mkdir(parents=True, exist_ok=True)
    font = find_font()
    if font is None:
        print("  no DejaVu font found: clock_720p.mp4 gets the binary counter only")
    clips = [VTEST, *build_clips(font)]
    for clip in clips:
        path = media / clip.name
        if is_valid(path, clip):
            print(f"  ok   {clip.name}")
            continue
        print(f"  make {clip.name}: {clip.description}")
        if clip is VTEST:
            fetch_vtest(path)
            if not is_valid(path, clip):
                raise MediaError(f"vtest.avi does not probe as expected: {probe(path)}")
        else:
            make_clip(media, clip)
    write_manifest(media, clips, font)
    print(f"  wrote {media / 'manifest.json'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--media-dir", type=Path, required=True, help="where to put the clips")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.monotonic()
    try:
        prepare(args.media_dir.resolve())
    except MediaError as exc:
        print(f"prepare_media: error: {exc}", file=sys.stderr)
        return 1
    print(f"  media ready in {args.media_dir} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

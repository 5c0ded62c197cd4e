"""Check recorded files the way a person would: with Debian's ffprobe and a full ffmpeg decode."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def ffprobe(path: Path) -> dict[str, Any]:
    """Container duration, codec, size and packet count as Debian's ffprobe reads them."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
         "-show_entries", "format=duration:stream=codec_name,width,height,nb_read_packets",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"ffprobe rejected {path}: {proc.stderr}"
    data = json.loads(proc.stdout)
    stream = data["streams"][0]
    return {
        "duration": float(data["format"]["duration"]),
        "codec": stream["codec_name"],
        "width": int(stream["width"]),
        "height": int(stream["height"]),
        "packets": int(stream["nb_read_packets"]),
    }


def decodes_cleanly(path: Path) -> bool:
    """Full decode with ffmpeg: no error at all (a broken fragment or missing SPS shows)."""
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return proc.returncode == 0 and not proc.stderr.strip()

"""Test clips made from real footage with ffmpeg: vtest covered, blurred or shifted after a
while (camera tamper), cached per session."""

from __future__ import annotations

import subprocess
from pathlib import Path

TAMPER_AT = 8.0  # seconds of normal picture before the tamper starts
FILTERS = {
    "covered": f"drawbox=x=0:y=0:w=iw:h=ih:color=black@1:t=fill:enable='gte(t,{TAMPER_AT})'",
    "defocused": f"gblur=sigma=10:enable='gte(t,{TAMPER_AT})'",
    "moved": None,  # needs a filter graph, below
}
MOVED_GRAPH = (
    "[0]split[a][b];[b]crop=iw*0.8:ih*0.8:iw*0.2:ih*0.1,scale=768:576[s];"
    f"[a][s]overlay=enable='gte(t,{TAMPER_AT})'"
)


def tamper_clip(vtest: Path, kind: str, folder: Path, seconds: float = 16.0) -> Path:
    """vtest with the picture covered / blurred / shifted from TAMPER_AT on (H.264 MP4)."""
    target = folder / f"vtest_{kind}.mp4"
    if target.exists():
        return target
    graph = ["-filter_complex", MOVED_GRAPH] if kind == "moved" else ["-vf", FILTERS[kind]]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-t", str(seconds), "-i", str(vtest), *graph,
         "-c:v", "libx264", "-preset", "veryfast", "-g", "20", "-pix_fmt", "yuv420p",
         str(target)],
        check=True,
    )  # fmt: skip
    return target

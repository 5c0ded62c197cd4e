"""Check a segment file on disk, and salvage an interrupted fragmented MP4.

Used at startup to decide about files the index does not know: a crash can leave a ``.partial``
(cut mid-fragment) or a complete file renamed but not yet indexed. Checking means demuxing every
packet (no decoding): cheap, and it proves the container is readable end to end.
"""

from __future__ import annotations

import contextlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    duration: float
    frames: int
    keyframes: int
    codec: str
    width: int
    height: int


def inspect_segment(path: Path) -> SegmentFacts | None:
    """Facts of a playable segment, or None if it is unreadable, empty, or does not start on a
    keyframe (a player could not show its first seconds)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            base = video.time_base
            frames = keyframes = 0
            first = last_end = None
            for packet in container.demux(video):
                if packet.size == 0 or packet.dts is None:
                    continue
                if frames == 0 and not packet.is_keyframe:
                    return None
                frames += 1
                keyframes += int(packet.is_keyframe)
                first = packet.dts if first is None else first
                last_end = packet.dts + (packet.duration or 0)
            ctx = video.codec_context
            if frames == 0 or first is None or last_end is None or base is None:
                return None
            return SegmentFacts(
                duration=float((last_end - first) * base),
                frames=frames,
                keyframes=keyframes,
                codec=ctx.name,
                width=ctx.width,
                height=ctx.height,
            )
    except (av.FFmpegError, OSError, ValueError, ZeroDivisionError):
        return None


def _boxes(path: Path, size: int) -> list[tuple[bytes, int, int]]:
    """Top-level (type, offset, size) of an MP4, stopping at the first incomplete box."""
    found: list[tuple[bytes, int, int]] = []
    with path.open("rb") as f:
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset
            if box_size < 8 or offset + box_size > size:
                break
            found.append((kind, offset, box_size))
            offset += box_size
    return found


def complete_prefix(path: Path) -> int:
    """Bytes of ``path`` that form a valid fragmented MP4: ftyp, moov, then whole moof+mdat
    pairs. 0 when not even one fragment is complete."""
    boxes = _boxes(path, path.stat().st_size)
    kinds = [kind for kind, _, _ in boxes]
    if b"moov" not in kinds:
        return 0
    end = 0
    for i, (kind, offset, size) in enumerate(boxes):
        whole_fragment = kind == b"mdat" and i > 0 and boxes[i - 1][0] == b"moof"
        if whole_fragment or kind == b"mfra":
            end = offset + size
    return end


def salvage(partial: Path) -> SegmentFacts | None:
    """Cut an interrupted fragmented MP4 back to its last complete fragment, in place.
    Returns the facts of what is left, or None if nothing playable remains."""
    try:
        keep = complete_prefix(partial)
        if keep == 0:
            return None
        if keep < partial.stat().st_size:
            os.truncate(partial, keep)
    except OSError:
        return None
    return inspect_segment(partial)


def remove_quietly(path: Path) -> bool:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        return True
    return False

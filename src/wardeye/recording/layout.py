"""Where segments live on disk, and how a file's name carries its start time.

``<root>/<camera_id>/<stream>/YYYY/MM/DD/HH/<YYYYmmddTHHMMSS.ffffff>Z.mp4`` (UTC). One folder
per hour keeps folders small (360 files at 10 s) and lets startup reconciliation look only at
the newest hours. A file is written as ``<name>.mp4.partial`` next to its final name and renamed
when complete, so a finished name always means a finished file. Index rows store the path
relative to the root, so the recordings folder can move.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

SEGMENT_SUFFIX = ".mp4"
PARTIAL_SUFFIX = ".partial"
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def stream_dir(root: Path, camera_id: int, stream: str) -> Path:
    return root / str(camera_id) / stream


def hour_dir(root: Path, camera_id: int, stream: str, moment: datetime) -> Path:
    utc = moment.astimezone(UTC)
    return stream_dir(root, camera_id, stream) / utc.strftime("%Y/%m/%d/%H")


def segment_path(root: Path, camera_id: int, stream: str, start: datetime) -> Path:
    name = start.astimezone(UTC).strftime(_STAMP) + SEGMENT_SUFFIX
    return hour_dir(root, camera_id, stream, start) / name


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL_SUFFIX)


def final_path(partial: Path) -> Path:
    return partial.with_name(partial.name.removesuffix(PARTIAL_SUFFIX))


def start_from_name(path: Path) -> datetime | None:
    """The start time a segment's name records, or None for a name this layout never makes."""
    name = path.name.removesuffix(PARTIAL_SUFFIX)
    if not name.endswith(SEGMENT_SUFFIX):
        return None
    try:
        return datetime.strptime(name.removesuffix(SEGMENT_SUFFIX), _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def stored_path(root: Path, path: Path) -> str:
    """What the index keeps: the POSIX path relative to the recordings root."""
    return PurePosixPath(path.relative_to(root).as_posix()).as_posix()


def resolve(root: Path, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else root / path

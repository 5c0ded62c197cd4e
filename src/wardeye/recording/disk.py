"""How full the recordings disk is. Retention asks this after every deletion, so it stays cheap:
one ``statvfs`` call, no directory walk (``tree_bytes`` walks, and is for reports only)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """Bytes of the filesystem holding a path. ``free`` is what an unprivileged writer can use."""

    total: int
    used: int
    free: int

    @property
    def free_fraction(self) -> float:
        return self.free / self.total if self.total else 0.0


def nearest_existing(path: Path) -> Path:
    """The path itself or its closest existing parent, so usage can be asked before mkdir."""
    candidate = path.absolute()
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    return candidate


def disk_usage(path: Path) -> DiskUsage:
    """Total/used/free bytes of the filesystem that holds ``path`` (or would hold it)."""
    usage = shutil.disk_usage(nearest_existing(path))
    return DiskUsage(total=usage.total, used=usage.used, free=usage.free)


def free_bytes(path: Path) -> int:
    return disk_usage(path).free


def tree_bytes(path: Path) -> int:
    """Bytes allocated on disk by the files under ``path`` (block-rounded, like ``du``).
    Files that vanish while walking (retention, a recorder rotating) are skipped."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue
    return total


def gib_to_bytes(gib: float | None) -> int | None:
    """Config sizes are in GiB (``quota_gb``, ``keep_free_gb``); retention works in bytes."""
    return None if gib is None else int(gib * GIB)

"""A real small filesystem (tmpfs) for disk-full tests. Mounting needs root: without it the test
fails (never skips) with the reason, so CI, which runs as root, cannot silently lose them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def mount_tmpfs(target: Path, size_mib: int) -> None:
    if os.geteuid() != 0:
        pytest.fail(
            "disk-full tests mount a small tmpfs and need root (CI runs as root); "
            "run them as root, e.g. `sudo .venv/bin/pytest …`"
        )
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a {size_mib} MiB tmpfs at {target}: {done.stderr.strip()}")


def unmount(target: Path) -> None:
    result = subprocess.run(["umount", str(target)], capture_output=True, text=True, check=False)
    if result.returncode != 0:  # something still holds it open: detach it anyway
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


@contextmanager
def small_tmpfs(target: Path, size_mib: int) -> Iterator[Path]:
    mount_tmpfs(target, size_mib)
    try:
        yield target
    finally:
        unmount(target)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wardeye.catalog import migrate
from wardeye.catalog.database import Database
from wardeye.testing.media import media_file

from .clips import tamper_clip


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analytics_clips")


@pytest.fixture(scope="session")
def covered_clip(clip_dir: Path) -> Path:
    return tamper_clip(media_file("vtest.mp4"), "covered", clip_dir)


@pytest.fixture(scope="session")
def nanodet() -> object:
    import os

    from wardeye.analytics.detectors import build_detector
    from wardeye.config.detectors import NanoDetSettings
    from wardeye.testing.media import repo_root

    configured = os.environ.get("WARDEYE_MODELS_DIR")
    models = Path(configured) if configured else repo_root() / ".models"
    return build_detector(NanoDetSettings(), models)

"""pytest plugin that exposes the harness fixtures (registered from tests/conftest.py)."""

from wardeye.testing.postgres_fixtures import *  # noqa: F403
from wardeye.testing.rtsp_fixtures import *  # noqa: F403

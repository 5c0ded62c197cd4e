"""Detector settings pick the backend by ``type``; failures say how to fix them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from wardeye.analytics.detectors import (
    BACKENDS,
    DarknetSettings,
    DetectorSettings,
    NanoDetSettings,
    OnnxYoloSettings,
    build_detector,
)
from wardeye.core.errors import ConfigError

ADAPTER: TypeAdapter[DetectorSettings] = TypeAdapter(DetectorSettings)


def test_type_picks_the_settings_model_with_defaults() -> None:
    assert isinstance(ADAPTER.validate_python({"type": "nanodet"}), NanoDetSettings)
    darknet = ADAPTER.validate_python({"type": "darknet", "input_size": 608})
    assert isinstance(darknet, DarknetSettings) and darknet.score_threshold == 0.3
    onnx = ADAPTER.validate_python({"type": "onnx_yolo", "model": "/opt/m.onnx"})
    assert isinstance(onnx, OnnxYoloSettings) and onnx.model == Path("/opt/m.onnx")
    assert set(BACKENDS) == {"nanodet", "darknet", "onnx_yolo"}


def test_unknown_type_and_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "yolo_magic"})
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "nanodet", "treshold": 0.5})
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "darknet", "input_size": 400})  # not a multiple of 32


def test_missing_model_file_names_the_setup_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"prepare_models\.py --models-dir"):
        build_detector(NanoDetSettings(), tmp_path)


def test_only_the_configured_backend_is_imported(tmp_path: Path) -> None:
    """Checked in a fresh interpreter, so other tests' imports do not count."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from wardeye.analytics.detectors import DarknetSettings, build_detector\n"
        "try:\n"
        f"    build_detector(DarknetSettings(), Path({str(tmp_path)!r}))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "print(sorted(m for m in sys.modules if m.startswith('wardeye.analytics.detectors.')))\n"
        "print('onnxruntime' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "ConfigError"
    assert "wardeye.analytics.detectors.darknet" in out[1]
    assert "nanodet" not in out[1] and "onnx_yolo" not in out[1]
    assert out[2] == "False"

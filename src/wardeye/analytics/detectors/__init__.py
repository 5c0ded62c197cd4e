"""Object detectors behind one small Protocol, chosen by the ``type`` of their settings.

Only the configured backend's module is imported, so a box that runs darknet never loads
onnxruntime. Each backend module exposes ``create(settings, models_dir) -> Detector``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Protocol, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from wardeye.analytics.detectors.settings import (
    DarknetSettings,
    DetectorSettings,
    NanoDetSettings,
    OnnxYoloSettings,
)
from wardeye.analytics.types import Detections
from wardeye.core.errors import ConfigError

Frame = npt.NDArray[np.uint8]


@runtime_checkable
class Detector(Protocol):
    """Finds objects in BGR frames; one ``Detections`` per frame, in the frames' pixels."""

    labels: Sequence[str]

    def detect(self, frames: Sequence[Frame]) -> list[Detections]: ...


BACKENDS: Mapping[str, str] = MappingProxyType(
    {
        "nanodet": "wardeye.analytics.detectors.nanodet",
        "darknet": "wardeye.analytics.detectors.darknet",
        "onnx_yolo": "wardeye.analytics.detectors.onnx_yolo",
    }
)


def build_detector(settings: DetectorSettings, models_dir: Path) -> Detector:
    """Import the backend named by ``settings.type`` and build it; model paths are resolved
    against ``models_dir`` unless absolute."""
    module_name = BACKENDS[settings.type]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"detector {settings.type!r} needs {exc.name or 'a missing package'}: "
            "run pip install 'wardeye[analytics]'"
        ) from exc
    create = cast(Callable[[DetectorSettings, Path], Detector], module.create)
    return create(settings, models_dir)


def resolve_model_file(path: Path, models_dir: Path) -> Path:
    """Absolute path of a model file, failing with advice when setup has not prepared it."""
    full = path if path.is_absolute() else models_dir / path
    if not full.is_file():
        raise ConfigError(
            f"model file {full} is missing: run scripts/prepare_models.py --models-dir {models_dir}"
        )
    return full


__all__ = [
    "BACKENDS",
    "DarknetSettings",
    "Detector",
    "DetectorSettings",
    "Frame",
    "NanoDetSettings",
    "OnnxYoloSettings",
    "build_detector",
    "resolve_model_file",
]

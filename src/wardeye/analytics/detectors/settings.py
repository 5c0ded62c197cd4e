"""Detector settings live in the config layer (``analytics.detector``); re-exported here so
analytics code and its tests keep one import path."""

from wardeye.config.detectors import (
    DarknetSettings,
    DetectorSettings,
    NanoDetSettings,
    OnnxYoloSettings,
)

__all__ = ["DarknetSettings", "DetectorSettings", "NanoDetSettings", "OnnxYoloSettings"]

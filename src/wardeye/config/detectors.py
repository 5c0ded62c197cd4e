"""Detector settings, chosen by ``type`` (a pydantic discriminated union). They live in the
config layer (``analytics.detector`` in the YAML file), which sits below analytics.

Relative model paths are resolved against the models folder that ``scripts/prepare_models.py``
fills at setup, so ``{type: nanodet}`` alone is a working configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _DetectorBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    score_threshold: float = Field(
        0.35, gt=0, lt=1, description="Drop boxes scoring below this (0-1)."
    )
    nms_iou: float = Field(
        0.45, gt=0, le=1, description="Boxes of one class overlapping more than this are merged."
    )
    keep_labels: tuple[str, ...] = Field(
        ("person", "bicycle", "motorbike", "car", "bus", "truck"),
        description="WardEye labels to report (COCO 'motorcycle' is reported as 'motorbike'); "
        "other classes are dropped.",
    )
    threads: int = Field(
        2, ge=1, le=64, description="CPU threads the inference engine may use in this worker."
    )


class NanoDetSettings(_DetectorBase):
    type: Literal["nanodet"] = Field("nanodet", description="Detector backend.")
    score_threshold: float = Field(
        0.4, gt=0, lt=1, description="Drop boxes scoring below this (0-1); 0.4 measured best."
    )
    model: Path = Field(
        Path("nanodet-m-416.onnx"), description="NanoDet-m ONNX file (made by prepare_models)."
    )
    input_size: int = Field(416, description="Square network input the model was exported for.")


class DarknetSettings(_DetectorBase):
    type: Literal["darknet"] = Field("darknet", description="Detector backend.")
    score_threshold: float = Field(
        0.3, gt=0, lt=1, description="Drop boxes scoring below this (0-1); 0.3 measured best."
    )
    cfg: Path = Field(Path("yolov3-tiny.cfg"), description="Darknet network description.")
    weights: Path = Field(Path("yolov3-tiny.weights"), description="Darknet weights file.")
    names: Path = Field(Path("coco.names"), description="Class names, one per line.")
    input_size: int = Field(
        416, ge=32, multiple_of=32, description="Square network input (416 or 608)."
    )


class OnnxYoloSettings(_DetectorBase):
    type: Literal["onnx_yolo"] = Field("onnx_yolo", description="Detector backend.")
    score_threshold: float = Field(
        0.3, gt=0, lt=1, description="Drop boxes scoring below this (0-1)."
    )
    model: Path = Field(
        Path("yolov3-tiny-v8.onnx"),
        description="YOLO ONNX file with a v5 [1,N,5+C] or v8/v11 [1,4+C,N] output.",
    )
    names: Path | None = Field(
        None, description="Class names file, one per line. Default: the 80 COCO classes."
    )
    layout: Literal["auto", "v5", "v8"] = Field(
        "auto", description="Output layout; auto tells them apart by the tensor's shape."
    )
    input_size: int | None = Field(
        None, description="Square input size; default: read from the model's input shape."
    )


DetectorSettings = Annotated[
    NanoDetSettings | DarknetSettings | OnnxYoloSettings, Field(discriminator="type")
]

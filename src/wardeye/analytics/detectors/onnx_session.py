"""ONNX Runtime session set-up shared by the ONNX backends (CPU, bounded threads)."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def cpu_session(model: Path, threads: int) -> ort.InferenceSession:
    """A CPU session that uses at most ``threads`` threads, so several camera workers can share
    a small box without oversubscribing it."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

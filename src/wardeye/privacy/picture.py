"""Blacking masks out of a decoded picture.

Polygons are rasterised once per picture size (cached) and generously: every pixel the polygon
touches is covered, plus one pixel around, so codec blur at the edge cannot show what is
behind it. The decoded frame itself is never written to (the decoder keeps it as a reference
picture for the next frames); the masked picture is a copy."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import av.video.frame
import numpy as np
import numpy.typing as npt

from wardeye.privacy.masks import Mask, Point

BoolArray = npt.NDArray[np.bool_]
BLACK_LIMITED = 16  # luma of black in limited ("TV") range, what cameras send
BLACK_FULL = 0
NEUTRAL_CHROMA = 128
PLANAR_420 = ("yuv420p", "yuvj420p")


def _polygon_pixels(points: Sequence[Point], width: int, height: int) -> BoolArray:
    """Even-odd fill at pixel centres, then grown by one pixel each way."""
    inside = np.zeros((height, width), dtype=np.bool_)
    xs = np.arange(width, dtype=np.float64) + 0.5
    ys = np.arange(height, dtype=np.float64) + 0.5
    corners = [(x * width, y * height) for x, y in points]
    for (x0, y0), (x1, y1) in zip(corners, [*corners[1:], corners[0]], strict=True):
        if y0 == y1:
            continue
        rows = np.nonzero((ys >= min(y0, y1)) & (ys < max(y0, y1)))[0]
        if rows.size == 0:
            continue
        cross = x0 + (ys[rows] - y0) * (x1 - x0) / (y1 - y0)
        inside[rows] ^= xs[None, :] < cross[:, None]
    grown = inside.copy()
    grown[1:] |= inside[:-1]
    grown[:-1] |= inside[1:]
    grown[:, 1:] |= inside[:, :-1]
    grown[:, :-1] |= inside[:, 1:]
    # A polygon thinner than a pixel still covers the pixels its corners fall in.
    for x, y in corners:
        grown[min(int(y), height - 1), min(int(x), width - 1)] = True
    return grown


@lru_cache(maxsize=32)
def _raster(polygons: tuple[tuple[Point, ...], ...], width: int, height: int) -> BoolArray:
    covered = np.zeros((height, width), dtype=np.bool_)
    for points in polygons:
        covered |= _polygon_pixels(points, width, height)
    covered.setflags(write=False)
    return covered


def coverage(masks: Sequence[Mask], width: int, height: int) -> BoolArray:
    """Which pixels of a width x height picture the masks cover (read-only, cached)."""
    return _raster(tuple(m.points for m in masks), width, height)


def black_out(frame: av.video.frame.VideoFrame, masks: Sequence[Mask]) -> av.video.frame.VideoFrame:
    """A copy of ``frame`` with the masks black; ``frame`` itself when there are none."""
    if not masks:
        return frame
    name = frame.format.name
    width, height = frame.width, frame.height
    if name not in PLANAR_420 or width % 2 or height % 2:
        return _black_out_rgb(frame, masks)
    covered = coverage(masks, width, height)
    planes = frame.to_ndarray()  # a copy: Y (h x w), then U and V (h/2 x w/2 each)
    luma = planes[:height]
    chroma_rows = height // 4
    u = planes[height : height + chroma_rows].reshape(height // 2, width // 2)
    v = planes[height + chroma_rows :].reshape(height // 2, width // 2)
    chroma_covered = covered[0::2, 0::2] | covered[1::2, 0::2]
    chroma_covered |= covered[0::2, 1::2] | covered[1::2, 1::2]
    np.copyto(luma, BLACK_FULL if name == "yuvj420p" else BLACK_LIMITED, where=covered)
    np.copyto(u, NEUTRAL_CHROMA, where=chroma_covered)
    np.copyto(v, NEUTRAL_CHROMA, where=chroma_covered)
    return _like(av.video.frame.VideoFrame.from_ndarray(planes, format=name), frame)


def _black_out_rgb(
    frame: av.video.frame.VideoFrame, masks: Sequence[Mask]
) -> av.video.frame.VideoFrame:
    """Any other pixel format (or an odd picture size): through RGB, slower but exact."""
    pixels = frame.to_ndarray(format="rgb24")
    pixels[coverage(masks, frame.width, frame.height)] = 0
    return _like(av.video.frame.VideoFrame.from_ndarray(pixels, format="rgb24"), frame)


def _like(
    out: av.video.frame.VideoFrame, source: av.video.frame.VideoFrame
) -> av.video.frame.VideoFrame:
    out.pts = source.pts
    if source.time_base is not None:
        out.time_base = source.time_base
    return out

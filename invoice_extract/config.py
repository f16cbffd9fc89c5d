"""Pipeline options as pydantic models: one place for limits and choices."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Limits(BaseModel):
    """Safe defaults: a document over a limit is refused with ``DocumentTooLarge``."""

    max_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=100, gt=0)
    max_pixels: int = Field(default=100_000_000, gt=0)


class PipelineConfig(BaseModel):
    limits: Limits = Field(default_factory=Limits)
    # Used only when a document's own evidence (an unambiguous date, its language) is silent.
    default_date_order: Literal["DMY", "MDY"] = "DMY"
    password: str | None = None

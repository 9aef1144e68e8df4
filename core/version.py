"""The product's version: metadata.txt, which QGIS reads, is its one record (it ships in the plugin
zip and as package data of the pip install)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

METADATA = Path(__file__).resolve().parents[1] / "metadata.txt"


@lru_cache(maxsize=1)
def product_version() -> str:
    try:
        lines = METADATA.read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    return next((line.split("=", 1)[1].strip() for line in lines if line.startswith("version=")), "unknown")

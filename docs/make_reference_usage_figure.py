"""Runs the Python of docs/TRAINING.md's "In Python: the reference design's four steps" as a user
pasting it would, and so makes docs/reference-usage.png (SAR | prediction | optical).

The document is the source: this script only takes its ```python blocks, points them at a data
folder, a number of training steps and a picture file, and runs them from the repository root.

    .venv/bin/python docs/make_reference_usage_figure.py [--data DIR] [--steps N] [--out PNG]
"""
from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "TRAINING.md"
SECTION = "## In Python: the reference design's four steps"
FIGURE_NAME = "reference-usage.png"


def section_blocks(guide: Path = GUIDE) -> list[str]:
    """The ```python blocks of the section, in order."""
    text = guide.read_text(encoding="utf-8")
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    section = text[start:following if following >= 0 else len(text)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def section_code(data: Optional[Path] = None, steps: Optional[int] = None,
                 figure: Optional[Path] = None) -> str:
    """The section's code as one program, with its data folder, training steps and picture file
    replaced where given (each must be found once, so a rewording of the guide fails loudly)."""
    code = "\n".join(section_blocks())
    for pattern, value in ((r"^DATA = .*$", None if data is None else f"DATA = Path({str(data)!r})"),
                           (r"^STEPS = \d+$", None if steps is None else f"STEPS = {int(steps)}"),
                           (re.escape(f'"{FIGURE_NAME}"'), None if figure is None else repr(str(figure)))):
        if value is not None:
            code, found = re.subn(pattern, lambda _m: value, code, flags=re.M)
            if found != 1:
                raise RuntimeError(f"{GUIDE}: expected one match of {pattern!r} in the section's code, found {found}")
    return code


def run(data: Optional[Path] = None, steps: Optional[int] = None, figure: Optional[Path] = None) -> dict:
    """Run the section's code from the repository root (its paths are written relative to it);
    returns the names it defined (dataset, model, pred, ...)."""
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__reference_usage__"}
    here = os.getcwd()
    os.chdir(REPO)
    try:
        exec(compile(section_code(data, steps, figure), str(GUIDE), "exec"), namespace)
    finally:
        os.chdir(here)
    return namespace


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="an s1/ + s2/ folder (default: the guide's)")
    parser.add_argument("--steps", type=int, help="training steps (default: the guide's)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / FIGURE_NAME)
    args = parser.parse_args(argv)
    run(args.data.resolve() if args.data else None, args.steps, args.out.resolve())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build the installable QGIS plugin zip: dist/sar_colorizer-<version>.zip.

    .venv/bin/python scripts/build_plugin_zip.py            # needs models/sar_colorizer.safetensors
    .venv/bin/python scripts/build_plugin_zip.py --no-model  # code only (users then pick a model file)

The zip holds one folder, sar_colorizer/, with what the plugin runs: the QGIS entry points, core/
(inference only), the Processing provider, ui/, metadata.txt, icon.png, LICENSE, requirements.txt
and dependency_installer.py (what the Install button installs, and how), the sample scene of
samples/ (for the demo and to try the plugin on), the bundled model and the built-in world palette in models/. Only files git
tracks are taken (so no caches or local outputs), except the model, which may be an untracked build
product. Tests, benchmarks, training code, scripts and CI files are left out.
"""
from __future__ import annotations

import argparse
import configparser
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "sar_colorizer"
MODEL_NAME = "sar_colorizer.safetensors"
TOP_FILES = ("__init__.py", "plugin.py", "deps.py", "dependency_installer.py", "metadata.txt", "icon.png",
             "LICENSE", "README.md", "requirements.txt")
PACKAGES = ("core", "processing_provider", "ui")
PACKAGE_SUFFIXES = (".py", ".html", ".ui", ".png", ".svg", ".qm")
DATA_FOLDERS = {"samples": (".tif", ".md")}  # folder: suffixes of its files that are shipped
# data the plugin runs with besides the model: the built-in world palette and its credit
DATA_FILES = ("models/world_palette.tif", "models/WORLD_PALETTE.md")
REQUIRED_FILES = ("__init__.py", "plugin.py", "metadata.txt", "icon.png", "processing_provider/provider.py",
                  "models/world_palette.tif")


def plugin_version(repo: Path = REPO) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(repo / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"].strip()


def tracked_files(repo: Path = REPO) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True)
    return [p for p in out.stdout.decode("utf-8").split("\0") if p]


def plugin_files(repo: Path = REPO) -> list[str]:
    """Repository-relative paths of the plugin's own code and data (without the model)."""
    chosen = []
    for path in tracked_files(repo):
        parts = Path(path).parts
        if (len(parts) == 1 and path in TOP_FILES) or path in DATA_FILES:
            chosen.append(path)
        elif len(parts) > 1 and parts[0] in PACKAGES and "__pycache__" not in parts \
                and path.endswith(PACKAGE_SUFFIXES):
            chosen.append(path)
        elif len(parts) == 2 and parts[0] in DATA_FOLDERS and path.endswith(DATA_FOLDERS[parts[0]]):
            chosen.append(path)
    missing = [f for f in REQUIRED_FILES if f not in chosen]
    if missing:
        raise SystemExit(f"not tracked by git, cannot build the plugin: {', '.join(missing)}")
    return sorted(chosen)


def model_files(model: Path, work: Path) -> list[tuple[Path, str]]:
    """The model, its ONNX export (what the plugin runs without torch) and its model card when it
    sits beside it."""
    files = [(model, f"models/{MODEL_NAME}"), (current_onnx_export(model, work), "models/sar_colorizer.onnx")]
    card = model.with_suffix(".md")
    if card.is_file():
        files.append((card, "models/sar_colorizer.md"))
    return files


def current_onnx_export(model: Path, work: Path) -> Path:
    """The export beside the model when it was made from this very file by this exporter, else a
    new one in `work` (needs torch): a zip whose export is stale or missing would need torch in QGIS."""
    import onnx

    from sar_colorizer.core.onnx_export import GRAPH_VERSION, GRAPH_VERSION_KEY, SOURCE_KEY, export_onnx, file_sha256

    beside = model.with_suffix(".onnx")
    if beside.is_file():
        props = {p.key: p.value for p in onnx.load(str(beside), load_external_data=False).metadata_props}
        if props.get(SOURCE_KEY) == file_sha256(model) and props.get(GRAPH_VERSION_KEY) == str(GRAPH_VERSION):
            return beside
        print(f"{beside} was not made from {model.name} by this exporter: exporting it again for the zip",
              file=sys.stderr)
    return export_onnx(model, work / "sar_colorizer.onnx")


def build(out_dir: Path, model: Path | None, repo: Path = REPO) -> Path:
    version = plugin_version(repo)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PLUGIN_NAME}-{version}.zip"
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf, \
            tempfile.TemporaryDirectory() as work:
        for rel in plugin_files(repo):
            zf.write(repo / rel, f"{PLUGIN_NAME}/{rel}")
        if model is not None:
            for source, rel in model_files(model, Path(work)):
                # the weights are already dense floats: storing beats compressing them
                zf.write(source, f"{PLUGIN_NAME}/{rel}", compress_type=zipfile.ZIP_STORED)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (default: dist/)")
    parser.add_argument("--model", type=Path, default=REPO / "models" / MODEL_NAME,
                        help=f"model file to bundle as models/{MODEL_NAME} (default: the trained model)")
    parser.add_argument("--no-model", action="store_true", help="build without a bundled model")
    args = parser.parse_args(argv)
    model = None
    if not args.no_model:
        if not args.model.is_file():
            print(f"error: no model file at {args.model}: train and export the bundled model first "
                  "(training/recipes/bundled_model.sh), pass --model PATH, or build with --no-model",
                  file=sys.stderr)
            return 2
        model = args.model
    target = build(args.out, model)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
    size = target.stat().st_size / 1e6
    print(f"{target} ({len(names)} files, {size:.1f} MB, model: {'yes' if model else 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

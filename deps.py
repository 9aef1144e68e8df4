"""Which Python packages the colorizer needs, which are missing, and the pip command that installs
them into the Python that runs *this* QGIS.

Only the standard library is imported here, so the plugin loads and can explain itself when torch
is not installed. Checks use ``importlib.util.find_spec`` (no import); the real import happens in
the algorithm, which turns an import failure into the same message.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PLUGIN_DIR = Path(__file__).resolve().parent
REQUIREMENTS_FILE = PLUGIN_DIR / "requirements.txt"


@dataclass(frozen=True)
class Requirement:
    module: str        # what `import` needs
    package: str       # what pip installs
    needed_for: str    # said to the user


REQUIRED = (
    Requirement("torch", "torch", "running the neural network"),
    Requirement("safetensors", "safetensors", "reading the model file"),
)
OPTIONAL = (
    Requirement("onnxruntime", "onnxruntime", "the ONNX backend, the fastest on CPU"),
    Requirement("onnx", "onnx", "exporting the model for the ONNX backend"),
)


def is_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken package can make find_spec itself fail
        return False


def missing_required() -> list[Requirement]:
    return [r for r in REQUIRED if not is_installed(r.module)]


def missing_optional() -> list[Requirement]:
    return [r for r in OPTIONAL if not is_installed(r.module)]


def pinned_versions(path: Path = REQUIREMENTS_FILE) -> dict[str, str]:
    """`name -> version` from the plugin's requirements.txt (the versions the project tests)."""
    pins: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return pins
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def qgis_python() -> str:
    """The python interpreter of the running QGIS.

    Inside QGIS ``sys.executable`` is often the QGIS program itself (``/usr/bin/qgis``,
    ``qgis-bin.exe``, ``QGIS.app/Contents/MacOS/QGIS``), so look next to ``sys.prefix`` too.
    """
    exe = Path(sys.executable) if sys.executable else None
    prefixes = [Path(p) for p in dict.fromkeys((sys.prefix, sys.exec_prefix, sys.base_prefix))]
    if exe is not None and exe.name.lower().startswith("python") and any(
            _is_within(exe, p) for p in prefixes):
        return str(exe)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = []
    for p in prefixes:
        if os.name == "nt":
            candidates += [p / "python.exe", p / "python3.exe"]
        else:
            candidates += [p / "bin" / f"python{version}", p / "bin" / "python3"]
    if sys.platform == "darwin" and exe is not None:
        # QGIS.app/Contents/MacOS/QGIS -> QGIS.app/Contents/MacOS/bin/python3 (older bundles),
        # bin/python3.12 or bin/python (newer ones)
        candidates += [exe.parent / "bin" / n for n in ("python3", f"python{version}", "python")]
    for c in candidates:
        if c.is_file():
            return str(c)
    if exe is not None and exe.name.lower().startswith("python"):
        return str(exe)
    return "python3" if os.name != "nt" else "python"


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.absolute().relative_to(folder.absolute())
        return True
    except ValueError:
        return False


def externally_managed() -> bool:
    """True for a distribution's Python that refuses plain `pip install` (PEP 668, e.g. Debian 12)."""
    stdlib = sysconfig.get_paths().get("stdlib")
    return bool(stdlib) and Path(stdlib, "EXTERNALLY-MANAGED").is_file() and sys.prefix == sys.base_prefix


def _numpy_version() -> Optional[str]:
    if not is_installed("numpy"):
        return None
    try:
        import numpy  # QGIS itself imports numpy, so this is cheap

        return numpy.__version__
    except Exception:  # pragma: no cover - a broken numpy is reported by pip itself
        return None


def install_command(requirements: tuple[Requirement, ...] = REQUIRED + OPTIONAL, pin_numpy: bool = True) -> str:
    """One command line that installs ``requirements`` into this QGIS's Python.

    numpy is pinned to the version QGIS already uses: GDAL and QGIS are compiled against it and
    pip would otherwise upgrade it as a dependency of torch or onnxruntime.
    """
    pins = pinned_versions()
    specs = [f"{r.package}=={pins[r.package]}" if r.package in pins else r.package for r in requirements]
    numpy = _numpy_version() if pin_numpy else None
    if numpy:
        specs.append(f"numpy=={numpy}")
    flatpak = os.environ.get("FLATPAK_ID")
    if flatpak:  # QGIS from Flathub: its Python lives in the sandbox
        quoted = f"flatpak run --command=python3 {flatpak}"
    else:
        python = qgis_python()
        quoted = f'"{python}"' if (" " in python or os.name == "nt") else python
    flags = []
    # --user: the user site-packages, which QGIS reads, needs no administrator rights (QGIS in
    # C:\Program Files, /usr or a Flatpak sandbox) and leaves QGIS's own packages untouched
    if os.name == "nt" or flatpak or externally_managed() or not os.access(sysconfig.get_paths()["purelib"], os.W_OK):
        flags.append("--user")
        if externally_managed():
            flags.append("--break-system-packages")
    return " ".join([quoted, "-m", "pip", "install", *flags, *specs])


def where_to_run() -> str:
    """Where the user types the install command, for this operating system."""
    if os.name == "nt":
        return "Close QGIS, open the \"OSGeo4W Shell\" from the Start menu (in the QGIS folder) and run:"
    if sys.platform == "darwin":
        return "Close QGIS, open Terminal and run:"
    return "Close QGIS, open a terminal and run:"


def missing_message(missing: Optional[list[Requirement]] = None) -> str:
    """The whole story for the user: what is missing, why, and the command that installs it."""
    missing = missing_required() if missing is None else missing
    if not missing:
        return ""
    names = ", ".join(f"'{r.package}' (for {r.needed_for})" for r in missing)
    return (
        f"SAR Colorizer needs Python packages that this QGIS does not have: {names}. "
        f"{where_to_run()}\n{install_command()}\n"
        f"then start QGIS again. (QGIS {_qgis_version()} runs Python {platform.python_version()} "
        f"from {sys.prefix}.)"
    )


def import_failure_message(module: str, exc: BaseException) -> str:
    """For a package that is present but fails to import (e.g. a wheel for another Python)."""
    req = next((r for r in REQUIRED + OPTIONAL if r.module == module), Requirement(module, module, ""))
    return (
        f"The Python package '{req.package}' is installed but cannot be imported by QGIS: {exc}. "
        f"Reinstall it for this QGIS's Python. {where_to_run()}\n"
        f"{install_command((req,), pin_numpy=False)} --force-reinstall --no-deps\nthen start QGIS again."
    )


def explain_import_error(exc: ImportError) -> str:
    """The message for an ImportError met while running: missing package, or one that is broken."""
    module = (exc.name or "").split(".")[0]
    known = next((r for r in REQUIRED + OPTIONAL if r.module == module), None)
    if module and not is_installed(module):
        return missing_message([known or Requirement(module, module, "colorizing")])
    return import_failure_message(module or str(exc), exc)


def _qgis_version() -> str:
    try:
        from qgis.core import Qgis

        return Qgis.QGIS_VERSION
    except Exception:  # deps.py is also usable outside QGIS
        return "?"

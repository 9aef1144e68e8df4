"""Which Python packages the colorizer needs, which are missing, where the plugin installs them, and
the command that installs them with the Python that runs *this* QGIS.

Colorizing needs onnxruntime alone (beside numpy and GDAL, which come with QGIS): the bundled model
runs on its ONNX export. torch is optional (the torch backend, CUDA GPUs) and is never installed
from here: it is a multi-gigabyte training dependency.

The plugin installs into a folder of its own in the QGIS profile, `packages_dir()`, which it adds
to `sys.path` when it loads. Not beside the plugin: a plugin upgrade deletes the plugin folder and
would take the packages with it; not `--user`: that folder is read by every Python program of the
user (and Debian needs `--break-system-packages` to write it), where our packages could shadow the
system's. One folder per Python version (`python3.12`), since onnxruntime is compiled for one: after
a QGIS upgrade to a newer Python the notice offers the install again.

Only the standard library is imported here, so the plugin loads and can explain itself when
packages are missing. Checks use ``importlib.util.find_spec`` (no import).
"""
from __future__ import annotations

import importlib
import importlib.util
import ntpath
import os
import platform
import posixpath
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

PLUGIN_DIR = Path(__file__).resolve().parent
REQUIREMENTS_FILE = PLUGIN_DIR / "requirements.txt"
INSTALLER = PLUGIN_DIR / "dependency_installer.py"
PACKAGES_FOLDER = "sar_colorizer_packages"  # in <profile>/python/
# ONNX Runtime's switch for its telemetry (see core/backends.py); set at plugin load so that it is in
# place before anything in this QGIS imports onnxruntime
ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


@dataclass(frozen=True)
class Requirement:
    module: str        # what `import` needs
    package: str       # what pip installs
    needed_for: str    # said to the user


REQUIRED = (Requirement("onnxruntime", "onnxruntime", "running the model"),)
OPTIONAL = (Requirement("torch", "torch", "the torch backend (CUDA GPUs)"),)


def is_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken package can make find_spec itself fail
        return False


def missing_required() -> list[Requirement]:
    return [r for r in REQUIRED if not is_installed(r.module)]


def missing_optional() -> list[Requirement]:
    return [r for r in OPTIONAL if not is_installed(r.module)]


def requirement_specs(path: Path = REQUIREMENTS_FILE) -> list[str]:
    """The requirement lines of the plugin's requirements.txt (e.g. 'onnxruntime>=1.19.2,<=1.32.0'),
    comments left out; the package names of REQUIRED when the file is absent."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return [r.package for r in REQUIRED]
    specs = [line.split("#", 1)[0].strip() for line in lines]
    return [s.replace(" ", "") for s in specs if s and not s.startswith("-")]


# Where the plugin's packages go --------------------------------------------------------------

def packages_dir(profile_dir: os.PathLike | str, version: Sequence[int] = sys.version_info) -> Path:
    """<profile>/python/sar_colorizer_packages/python3.X: the folder the plugin installs into."""
    return Path(profile_dir) / "python" / PACKAGES_FOLDER / f"python{version[0]}.{version[1]}"


def qgis_profile_dir() -> Optional[Path]:
    """The running QGIS's profile folder, or None outside QGIS."""
    try:
        from qgis.core import QgsApplication

        path = QgsApplication.qgisSettingsDirPath()
    except Exception:  # deps.py is also usable outside QGIS
        return None
    return Path(path) if path else None


def use_packages_dir(folder: os.PathLike | str) -> None:
    """Put `folder` at the end of sys.path (after QGIS's own packages, so nothing there can shadow
    QGIS's numpy), and make packages installed into it while QGIS runs importable at once."""
    folder = str(folder)
    if folder not in sys.path:
        sys.path.append(folder)
    sys.path_importer_cache.pop(folder, None)  # remembered as absent if it did not exist yet
    importlib.invalidate_caches()


def prepare_python(profile_dir: Optional[os.PathLike | str] = None) -> Optional[Path]:
    """At plugin load: ONNX Runtime's telemetry off (unless the user set it), and the plugin's
    package folder on sys.path. Returns that folder (None outside QGIS)."""
    os.environ.setdefault(ORT_TELEMETRY_ENV, "1")
    profile = Path(profile_dir) if profile_dir else qgis_profile_dir()
    if profile is None:
        return None
    folder = packages_dir(profile)
    use_packages_dir(folder)
    return folder


# The Python of the running QGIS ----------------------------------------------------------------

@dataclass(frozen=True)
class PythonLayout:
    """What locates the Python of a QGIS: the values of sys.platform, sys.executable, sys.prefix,
    sys.exec_prefix and sys.base_prefix, the Python version, and the Flatpak id if any."""

    platform: str
    executable: str
    prefixes: tuple[str, ...]
    version: tuple[int, int]
    flatpak_id: str = ""

    @classmethod
    def running(cls) -> "PythonLayout":
        prefixes = tuple(dict.fromkeys((sys.prefix, sys.exec_prefix, sys.base_prefix)))
        return cls(sys.platform, sys.executable or "", prefixes, tuple(sys.version_info[:2]),
                   os.environ.get("FLATPAK_ID", ""))


def find_python(layout: PythonLayout, is_file: Callable[[str], bool] = os.path.isfile) -> str:
    """The python interpreter of a QGIS laid out as `layout` (a pure function of it and `is_file`).

    Inside QGIS ``sys.executable`` is often the QGIS program itself, so the interpreter is looked
    for where each packaging puts it:
      Linux packages   /usr/bin/qgis                     -> /usr/bin/python3.X (prefix /usr)
      Flatpak          /app/bin/qgis                     -> /app/bin/python3 (prefix /app)
      Windows OSGeo4W  C:/OSGeo4W/bin/qgis-bin.exe       -> C:/OSGeo4W/apps/Python3X/python.exe
                       (sys.prefix), else python3.exe in OSGeo4W's bin
      macOS QGIS.app   QGIS.app/Contents/MacOS/QGIS      -> QGIS.app/Contents/MacOS/bin/python3
                       (python3.X or python in newer bundles), else under the framework's prefix
    """
    windows = layout.platform == "win32"
    path = ntpath if windows else posixpath
    exe = layout.executable
    name = path.basename(exe).lower()
    if name.startswith("python") and any(_is_within(path, exe, p) for p in layout.prefixes):
        return exe
    major, minor = layout.version
    candidates = []
    for prefix in layout.prefixes:
        if windows:
            candidates += [path.join(prefix, "python.exe"), path.join(prefix, "python3.exe")]
        else:
            candidates += [path.join(prefix, "bin", f"python{major}.{minor}"), path.join(prefix, "bin", "python3")]
    if exe:
        here = path.dirname(exe)
        if windows:  # OSGeo4W's bin holds python3.exe beside qgis-bin.exe
            candidates += [path.join(here, "python3.exe"), path.join(here, "python.exe")]
        else:  # macOS: QGIS.app/Contents/MacOS/bin/
            candidates += [path.join(here, "bin", n) for n in ("python3", f"python{major}.{minor}", "python")]
    for candidate in candidates:
        if is_file(candidate):
            return candidate
    if name.startswith("python"):
        return exe
    return "python" if windows else "python3"


def _is_within(path, file: str, folder: str) -> bool:
    folder = path.normcase(path.normpath(folder))
    file = path.normcase(path.normpath(file))
    return file.startswith(folder.rstrip("/\\") + ("\\" if path is ntpath else "/"))


def qgis_python() -> str:
    """The python interpreter of the running QGIS."""
    return find_python(PythonLayout.running())


def numpy_version() -> Optional[str]:
    """The numpy QGIS runs with: the installer keeps it (GDAL and QGIS are compiled against it)."""
    if not is_installed("numpy"):
        return None
    try:
        import numpy  # QGIS itself imports numpy, so this is cheap

        return numpy.__version__
    except Exception:  # a broken numpy: pip reports it
        return None


# The install command ---------------------------------------------------------------------------

def install_arguments(target: os.PathLike | str, python: Optional[str] = None,
                      keep_numpy: Optional[str] = "running") -> list[str]:
    """The command (as a list) that installs the plugin's requirements into `target` with the
    QGIS Python: dependency_installer.py beside this file, which keeps QGIS's numpy and checks
    that what it installed imports."""
    args = [python or qgis_python(), str(INSTALLER), "--target", str(target)]
    numpy = numpy_version() if keep_numpy == "running" else keep_numpy
    if numpy:
        args += ["--keep", f"numpy=={numpy}"]
    for r in REQUIRED:
        args += ["--check", r.module]
    return args + requirement_specs()


def terminal_command(args: Sequence[str], windows: bool = os.name == "nt", flatpak_id: str = "") -> str:
    """`args` as one line for a terminal: cmd.exe quoting on Windows, POSIX shell quoting elsewhere;
    in a Flatpak QGIS the sandbox's Python is reached through `flatpak run`."""
    if flatpak_id:
        return " ".join(["flatpak", "run", "--command=python3", flatpak_id]
                        + [shlex.quote(a) for a in args[1:]])
    if windows:
        return subprocess.list2cmdline([str(a) for a in args])
    return shlex.join(str(a) for a in args)


def install_command(target: Optional[os.PathLike | str] = None) -> str:
    """The terminal command that does what the Install button does, for this QGIS."""
    target = target or _default_target()
    return terminal_command(install_arguments(target), flatpak_id=os.environ.get("FLATPAK_ID", ""))


def _default_target() -> Path:
    profile = qgis_profile_dir()
    if profile is None:  # outside QGIS: the default profile of this system
        profile = default_profile_dir()
    return packages_dir(profile)


def default_profile_dir() -> Path:
    """The default QGIS profile folder of this user, as QGIS lays it out on each system."""
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "QGIS" / "QGIS3" / "profiles" / "default"


def where_to_run() -> str:
    """Where the user types the install command, for this operating system."""
    if os.name == "nt":
        return "open the \"OSGeo4W Shell\" from the Start menu (in the QGIS folder) and run:"
    if sys.platform == "darwin":
        return "open Terminal and run:"
    return "open a terminal and run:"


def missing_message(missing: Optional[list[Requirement]] = None) -> str:
    """The whole story for the user: what is missing, why, and how to install it."""
    missing = missing_required() if missing is None else missing
    if not missing:
        return ""
    names = ", ".join(f"'{r.package}' (for {r.needed_for})" for r in missing)
    return (
        f"SAR Colorizer needs Python packages that this QGIS does not have: {names}. "
        f"Install them with the Install button of the SAR Colorizer notice (or Raster ▸ SAR Colorizer ▸ "
        f"Install Python packages…), or, with QGIS closed, {where_to_run()}\n{install_command()}\n"
        f"then start QGIS again. (QGIS {_qgis_version()} runs Python {platform.python_version()} from {sys.prefix}.)"
    )


def import_failure_message(module: str, exc: BaseException) -> str:
    """For a package that is present but fails to import (e.g. a wheel for another Python)."""
    req = next((r for r in REQUIRED + OPTIONAL if r.module == module), Requirement(module, module, ""))
    return (
        f"The Python package '{req.package}' is installed{_where(module)} but cannot be imported by QGIS: "
        f"{exc}. Install it again for this QGIS's Python: {where_to_run()}\n{install_command()}"
    )


def _where(module: str) -> str:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    folder = spec and (spec.submodule_search_locations or [spec.origin])[0]
    return f" (in {folder})" if folder else ""


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


def pip_available() -> bool:
    return is_installed("pip")


def no_pip_message() -> str:
    """What to do when this QGIS's Python has no pip (Debian and Ubuntu ship it apart)."""
    if sys.platform.startswith("linux") and not os.environ.get("FLATPAK_ID"):
        return ("this QGIS's Python has no pip: install it (Debian/Ubuntu: sudo apt install python3-pip), "
                "then try again")
    return f"this QGIS's Python has no pip: run {terminal_command([qgis_python(), '-m', 'ensurepip'])}, then try again"


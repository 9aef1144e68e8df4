"""What the plugin needs, where it installs it, and the installer's command for each QGIS layout."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from sar_colorizer import deps

LINUX_SPEC = "onnxruntime>=1.19.2,<=1.32.0"


def test_colorizing_needs_onnxruntime_alone_as_requirements_txt_says():
    assert [r.package for r in deps.REQUIRED] == ["onnxruntime"]
    assert deps.requirement_specs() == [LINUX_SPEC]
    text = (Path(deps.__file__).parent / "requirements.txt").read_text()
    assert "torch" not in text.split("#")[-1] and f"\n{LINUX_SPEC}\n" in text


def layout(platform, executable, *prefixes, version=(3, 12), flatpak_id=""):
    return deps.PythonLayout(platform, executable, prefixes, version, flatpak_id)


@pytest.mark.parametrize("qgis, files, python", [
    # Debian/Ubuntu packages: QGIS runs the system Python
    (layout("linux", "/usr/bin/qgis", "/usr", version=(3, 11)), {"/usr/bin/python3.11", "/usr/bin/python3"},
     "/usr/bin/python3.11"),
    # Flathub: the sandbox's Python
    (layout("linux", "/app/bin/qgis", "/app"), {"/app/bin/python3"}, "/app/bin/python3"),
    # OSGeo4W network installer: sys.executable is qgis-bin.exe, Python is apps\Python312
    (layout("win32", r"C:\OSGeo4W\bin\qgis-bin.exe", r"C:\OSGeo4W\apps\Python312"),
     {r"C:\OSGeo4W\apps\Python312\python.exe", r"C:\OSGeo4W\bin\python3.exe"},
     r"C:\OSGeo4W\apps\Python312\python.exe"),
    # standalone installer in Program Files (spaces)
    (layout("win32", r"C:\Program Files\QGIS 3.40.4\bin\qgis-ltr-bin.exe",
            r"C:\Program Files\QGIS 3.40.4\apps\Python312"),
     {r"C:\Program Files\QGIS 3.40.4\apps\Python312\python.exe"},
     r"C:\Program Files\QGIS 3.40.4\apps\Python312\python.exe"),
    # an OSGeo4W whose apps\Python3x has no python.exe where expected: the python3.exe of its bin
    (layout("win32", r"C:\OSGeo4W\bin\qgis-bin.exe", r"C:\OSGeo4W\apps\Python39"),
     {r"C:\OSGeo4W\bin\python3.exe"}, r"C:\OSGeo4W\bin\python3.exe"),
    # macOS QGIS.app (older bundles: prefix Contents/MacOS, python3 in its bin)
    (layout("darwin", "/Applications/QGIS-LTR.app/Contents/MacOS/QGIS", "/Applications/QGIS-LTR.app/Contents/MacOS",
            version=(3, 9)),
     {"/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"}, "/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3"),
    # macOS, newer bundles: a Python framework as prefix, only bin/python3.12 beside the QGIS program
    (layout("darwin", "/Applications/QGIS.app/Contents/MacOS/QGIS",
            "/Applications/QGIS.app/Contents/Frameworks/Python.framework/Versions/3.12"),
     {"/Applications/QGIS.app/Contents/MacOS/bin/python3.12"}, "/Applications/QGIS.app/Contents/MacOS/bin/python3.12"),
    # a Python running QGIS's libraries (qgis_process scripts, pytest): itself
    (layout("linux", "/opt/venv/bin/python", "/opt/venv", "/usr"), set(), "/opt/venv/bin/python"),
    # nothing found: the plain name, for the PATH to resolve
    (layout("win32", r"D:\qgis\qgis.exe", r"D:\qgis\py"), set(), "python"),
    (layout("linux", "/opt/qgis/bin/qgis", "/opt/qgis"), set(), "python3"),
])
def test_the_python_of_each_qgis_layout(qgis, files, python):
    assert deps.find_python(qgis, files.__contains__) == python


def test_the_python_of_this_process_is_the_running_interpreter():
    assert deps.qgis_python() == sys.executable


def test_packages_go_into_the_profile_one_folder_per_python_version(tmp_path):
    assert deps.packages_dir(tmp_path, (3, 12)) == tmp_path / "python" / "sar_colorizer_packages" / "python3.12"


def test_the_install_command_keeps_numpy_and_installs_the_requirements(tmp_path):
    import numpy

    target = tmp_path / "packages"
    args = deps.install_arguments(target, python="/usr/bin/python3")
    assert args == ["/usr/bin/python3", str(deps.INSTALLER), "--target", str(target),
                    "--keep", f"numpy=={numpy.__version__}", "--check", "onnxruntime", LINUX_SPEC]
    assert deps.terminal_command(args, windows=False) == (
        f"/usr/bin/python3 {deps.INSTALLER} --target {target} --keep numpy=={numpy.__version__} "
        f"--check onnxruntime '{LINUX_SPEC}'")


def test_the_terminal_command_on_windows_and_in_a_flatpak():
    args = [r"C:\Program Files\QGIS 3.40.4\apps\Python312\python.exe", r"C:\Users\me\plugins\sar_colorizer\x.py",
            "--target", r"C:\Users\me\AppData\Roaming\QGIS\QGIS3\profiles\default\python\sar_colorizer_packages\python3.12",
            LINUX_SPEC]
    assert deps.terminal_command(args, windows=True) == (
        r'"C:\Program Files\QGIS 3.40.4\apps\Python312\python.exe" C:\Users\me\plugins\sar_colorizer\x.py '
        r"--target C:\Users\me\AppData\Roaming\QGIS\QGIS3\profiles\default\python\sar_colorizer_packages\python3.12 "
        + LINUX_SPEC)
    args = ["/app/bin/python3", "/home/me/.var/app/org.qgis.qgis/data/QGIS/QGIS3/profiles/default/python/plugins/"
            "sar_colorizer/dependency_installer.py", "--target", "/home/me/x y", LINUX_SPEC]
    assert deps.terminal_command(args, flatpak_id="org.qgis.qgis") == (
        "flatpak run --command=python3 org.qgis.qgis /home/me/.var/app/org.qgis.qgis/data/QGIS/QGIS3/profiles/default/"
        f"python/plugins/sar_colorizer/dependency_installer.py --target '/home/me/x y' '{LINUX_SPEC}'")


def test_a_folder_put_on_the_path_before_it_exists_is_importable_once_filled(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    folder = tmp_path / "python" / "sar_colorizer_packages" / "python3.x"
    deps.use_packages_dir(folder)  # at plugin load: nothing installed yet
    assert sys.path[-1] == str(folder)
    with pytest.raises(ImportError):
        importlib.import_module("sar_colorizer_test_package")
    folder.mkdir(parents=True)  # the installer fills it while QGIS runs
    (folder / "sar_colorizer_test_package.py").write_text("ANSWER = 42\n")
    deps.use_packages_dir(folder)
    try:
        assert importlib.import_module("sar_colorizer_test_package").ANSWER == 42
    finally:
        sys.modules.pop("sar_colorizer_test_package", None)
    assert sys.path.count(str(folder)) == 1


def test_plugin_load_turns_onnxruntime_telemetry_off_unless_the_user_chose(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("ORT_DISABLE_TELEMETRY", raising=False)
    assert deps.prepare_python(tmp_path) == deps.packages_dir(tmp_path)
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "0")
    deps.prepare_python(tmp_path)
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "0"


def test_missing_message_names_the_package_the_button_and_the_command(monkeypatch):
    monkeypatch.setattr(deps, "is_installed", lambda module: module != "onnxruntime")
    missing = deps.missing_required()
    assert [r.package for r in missing] == ["onnxruntime"]
    message = deps.missing_message(missing)
    assert message.startswith(
        "SAR Colorizer needs Python packages that this QGIS does not have: 'onnxruntime' (for running the model). "
        "Install them with the Install button of the SAR Colorizer notice (or Raster ▸ SAR Colorizer ▸ "
        "Install Python packages…), or, with QGIS closed, open a terminal and run:\n")
    assert message.splitlines()[1] == deps.install_command()
    assert message.splitlines()[2].startswith("then start QGIS again. (QGIS ")
    assert "--keep numpy==" in deps.install_command() and "torch" not in message


def test_import_error_of_an_absent_package_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(deps, "is_installed", lambda module: module != "onnxruntime")
    message = deps.explain_import_error(ImportError("No module named 'onnxruntime'", name="onnxruntime"))
    assert "'onnxruntime' (for running the model)" in message
    assert deps.install_command() in message


def test_import_error_of_a_broken_package_says_where_it_is_and_to_install_again():
    import onnxruntime

    message = deps.explain_import_error(ImportError("DLL load failed", name="onnxruntime"))
    assert message.startswith(f"The Python package 'onnxruntime' is installed (in {Path(onnxruntime.__file__).parent}) "
                              "but cannot be imported by QGIS: DLL load failed. Install it again")
    assert message.endswith(deps.install_command())

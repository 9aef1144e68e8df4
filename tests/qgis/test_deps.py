"""The missing-dependency message: which packages, and the command for this QGIS's Python."""
from __future__ import annotations

import sys
from pathlib import Path

from sar_colorizer import deps


def test_pins_come_from_the_plugin_requirements():
    pins = deps.pinned_versions()
    text = (Path(deps.__file__).parent / "requirements.txt").read_text()
    for name in ("torch", "safetensors", "onnxruntime", "onnx"):
        assert f"{name}=={pins[name]}" in text


def test_install_command_targets_this_python_and_keeps_numpy():
    import numpy

    command = deps.install_command()
    assert command.startswith(f"{deps.qgis_python()} -m pip install ")
    pins = deps.pinned_versions()
    for name in ("torch", "safetensors", "onnxruntime", "onnx"):
        assert f" {name}=={pins[name]}" in command
    assert command.endswith(f" numpy=={numpy.__version__}")


def test_qgis_python_is_the_running_interpreter_when_it_is_a_python():
    # under pytest sys.executable is a real python inside sys.prefix (the venv): use it as is
    assert deps.qgis_python() == sys.executable


def test_qgis_python_looks_beside_the_prefix_when_executable_is_qgis(monkeypatch, tmp_path):
    """Inside QGIS sys.executable is the QGIS program; the python is found under sys.prefix."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (tmp_path / "bin").mkdir()
    python = tmp_path / "bin" / f"python{version}"
    python.write_text("")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "qgis"))
    for attr in ("prefix", "exec_prefix", "base_prefix"):
        monkeypatch.setattr(sys, attr, str(tmp_path))
    assert deps.qgis_python() == str(python)


def test_missing_message_names_packages_and_command(monkeypatch):
    monkeypatch.setattr(deps, "is_installed", lambda module: module not in ("torch", "safetensors"))
    missing = deps.missing_required()
    assert [r.package for r in missing] == ["torch", "safetensors"]
    message = deps.missing_message(missing)
    assert message.startswith("SAR Colorizer needs Python packages that this QGIS does not have: "
                              "'torch' (for running the neural network), 'safetensors' (for reading the model file).")
    assert deps.install_command() in message
    assert message.splitlines()[-1].startswith("then start QGIS again.")


def test_import_error_of_an_absent_package_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(deps, "is_installed", lambda module: module != "onnx")
    message = deps.explain_import_error(ImportError("No module named 'onnx'", name="onnx"))
    assert "'onnx' (for exporting the model for the ONNX backend)" in message
    assert deps.install_command() in message


def test_import_error_of_a_broken_package_says_reinstall():
    message = deps.explain_import_error(ImportError("DLL load failed", name="torch"))
    assert message.startswith("The Python package 'torch' is installed but cannot be imported by QGIS: DLL load failed.")
    assert "--force-reinstall --no-deps" in message and "numpy==" not in message

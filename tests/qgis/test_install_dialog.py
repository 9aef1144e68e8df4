"""The notice at plugin load when a package is missing, and the installer dialog it opens.

The dialog runs a stand-in installer here (a Python script printing what the real one prints and
writing a module into the target folder): the real installer is tested against the package index in
tests/integration/test_without_torch.py.
"""
from __future__ import annotations

import sys
import textwrap
import time

import pytest
from qgis.core import Qgis
from qgis.gui import QgsMessageBar
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QLineEdit, QPushButton

import sar_colorizer
from sar_colorizer import deps
from sar_colorizer.ui.install_dialog import InstallDialog

FAKE_MODULE = "sar_colorizer_fake_dependency"


@pytest.fixture
def iface_with_message_bar(recording_iface):
    bar = QgsMessageBar(recording_iface.window)
    recording_iface.messageBar = lambda: bar
    return recording_iface


@pytest.fixture
def onnxruntime_missing(monkeypatch):
    real = deps.is_installed
    monkeypatch.setattr(deps, "is_installed", lambda module: module != "onnxruntime" and real(module))


@pytest.fixture
def fake_requirement(monkeypatch):
    """A requirement nobody has, which the stand-in installer provides."""
    monkeypatch.setattr(deps, "REQUIRED", (deps.Requirement(FAKE_MODULE, "fake-dependency", "testing"),))
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop(FAKE_MODULE, None)


def stand_in_installer(target, exit_code: int = 0) -> list[str]:
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        print("Python at", sys.executable)
        for step in ("[1/4] what to install", "[2/4] download", "downloaded 1 wheel, 27.8 MB in all", "[3/4] install",
                     "[4/4] check"):
            print(step, flush=True)
            time.sleep(0.05)
        if {exit_code}:
            print("ERROR: No matching distribution found for onnxruntime", file=sys.stderr)
            sys.exit({exit_code})
        target = pathlib.Path({str(target)!r})
        target.mkdir(parents=True, exist_ok=True)
        (target / "{FAKE_MODULE}.py").write_text("")
        print("done")
    """)
    return [sys.executable, "-c", script]


def run_until_done(dialog: InstallDialog, timeout: float = 60) -> None:
    dialog.start()
    end = time.monotonic() + timeout
    while (dialog.is_running() or dialog.status.text().startswith("Installing")) and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    assert not dialog.is_running(), "the stand-in installer did not finish"


def flush_deletions():
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def test_a_plugin_without_onnxruntime_says_so_at_load_with_an_install_button(
        iface_with_message_bar, onnxruntime_missing, no_provider, tmp_path):
    iface = iface_with_message_bar
    bar = iface.messageBar()
    plugin = sar_colorizer.classFactory(iface)
    plugin.packages_dir = tmp_path / "profile" / "python" / "sar_colorizer_packages" / "python3.x"
    plugin.initGui()

    assert len(bar.items()) == 1
    item = bar.items()[0]
    assert item.level() == Qgis.MessageLevel.Warning
    assert item.title() == "SAR Colorizer"
    assert item.text() == ("cannot colorize yet: it needs the Python package onnxruntime (a download of about "
                           "20-30 MB, installed into your QGIS profile).")
    button = item.findChild(QPushButton, "sar_colorizer_install_button")
    assert button.text() == "Install…"
    assert [(m, a.text()) for m, a in iface.raster_menu] == [("SAR Colorizer", "Colorize SAR…"),
                                                              ("SAR Colorizer", "Install Python packages…")]

    button.click()
    dialog = plugin.install_dialog
    assert dialog.isVisible() and dialog.target == plugin.packages_dir
    command = dialog.findChild(QLineEdit, "command")
    assert command.isReadOnly()
    assert command.text() == deps.terminal_command(deps.install_arguments(plugin.packages_dir))
    assert command.text().startswith(f"{sys.executable} {deps.INSTALLER} --target {plugin.packages_dir} --keep numpy==")

    plugin.unload()
    flush_deletions()
    assert bar.items() == [] and iface.raster_menu == [] and iface.toolbar == []
    assert plugin.install_dialog is None and sip.isdeleted(dialog)


def test_no_notice_when_nothing_is_missing(iface_with_message_bar, no_provider):
    plugin = sar_colorizer.classFactory(iface_with_message_bar)
    plugin.initGui()
    assert iface_with_message_bar.messageBar().items() == []
    assert [a.text() for _, a in iface_with_message_bar.raster_menu] == ["Colorize SAR…"]
    plugin.unload()


def test_the_dialog_streams_the_log_shows_the_steps_and_ends_ready_without_restart(
        qgis_app, fake_requirement, tmp_path):
    target = tmp_path / "packages"
    dialog = InstallDialog(target, arguments=stand_in_installer(target))
    installed = []
    dialog.installed.connect(lambda: installed.append(True))
    assert [r.package for r in deps.missing_required()] == ["fake-dependency"]

    run_until_done(dialog)

    log = dialog.log.toPlainText()
    assert ("[1/4] what to install\n[2/4] download\ndownloaded 1 wheel, 27.8 MB in all\n[3/4] install\n"
            "[4/4] check\ndone\n") in log
    assert dialog.progress.value() == dialog.progress.maximum() == 4
    assert dialog.status.text() == "Installed: SAR Colorizer is ready (no restart needed)."
    assert installed == [True] and dialog.succeeded
    assert deps.missing_required() == [] and str(target) in sys.path  # importable in this QGIS, now
    assert not dialog.install_button.isEnabled()


def test_a_failed_installation_says_so_and_can_be_tried_again(qgis_app, fake_requirement, tmp_path):
    target = tmp_path / "packages"
    dialog = InstallDialog(target, arguments=stand_in_installer(target, exit_code=3))
    installed = []
    dialog.installed.connect(lambda: installed.append(True))

    run_until_done(dialog)

    assert "ERROR: No matching distribution found for onnxruntime" in dialog.log.toPlainText()
    assert dialog.status.text() == ("The installation failed (exit code 3); pip's messages are above. "
                                    "Nothing of QGIS itself was changed.")
    assert dialog.progress.value() == 3  # the step it failed in, not done
    assert installed == [] and not dialog.succeeded and dialog.install_button.isEnabled()
    assert [r.package for r in deps.missing_required()] == ["fake-dependency"]


def test_an_installer_that_cannot_start_is_reported(qgis_app, fake_requirement, tmp_path):
    dialog = InstallDialog(tmp_path, arguments=[str(tmp_path / "no-such-python"), "x.py"])
    run_until_done(dialog)
    assert dialog.status.text().startswith(f"{tmp_path / 'no-such-python'} could not be started: ")
    assert dialog.install_button.isEnabled()


"""The dialog that installs the plugin's Python packages: it runs dependency_installer.py with the
Python of this QGIS in a QProcess (QGIS stays responsive), streams pip's log, shows its steps as
progress, and offers the same command for a terminal. When it ends well, the packages folder is
on sys.path and the plugin works without a restart."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase, QGuiApplication, QTextCursor
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import deps

STEP = re.compile(r"^\[(\d+)/(\d+)\]", re.MULTILINE)
TITLE = "SAR Colorizer: install Python packages"


class InstallDialog(QDialog):
    """Install with one click; `installed` is emitted when everything required can be imported."""

    installed = pyqtSignal()

    def __init__(self, target: Path, arguments: Optional[Sequence[str]] = None,
                 parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setObjectName("sar_colorizer_install_dialog")
        self.target = Path(target)
        self.arguments = list(arguments) if arguments else deps.install_arguments(self.target)
        self.succeeded = False
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self._build()
        self.resize(760, 520)

    def _build(self) -> None:
        missing = deps.missing_required()
        names = ", ".join(f"<b>{r.package}</b> (for {r.needed_for})" for r in missing) or "nothing"
        intro = QLabel(
            f"<p>SAR Colorizer needs {names}. This installs it with the Python of this QGIS "
            f"(<code>{self.arguments[0]}</code>) into a folder of your QGIS profile, "
            f"<code>{self.target}</code>, which the plugin puts on Python's path when it loads. "
            "It downloads about 20-30 MB from the Python Package Index (pypi.org). QGIS's own "
            "packages, numpy included, are left as they are; delete that folder to remove it.</p>")
        intro.setWordWrap(True)
        intro.setObjectName("intro")

        command = QLineEdit(deps.terminal_command(self.arguments))
        command.setReadOnly(True)
        command.setCursorPosition(0)  # shows the Python it runs, the start of the line
        command.setObjectName("command")
        command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        copy = QPushButton("Copy")
        copy.setObjectName("copy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(command.text()))
        terminal = QHBoxLayout()
        terminal.addWidget(command, 1)
        terminal.addWidget(copy)
        terminal_label = QLabel(f"Prefer a terminal? Close QGIS, {deps.where_to_run()}")
        terminal_label.setWordWrap(True)

        self.progress = QProgressBar()
        self.progress.setRange(0, 4)  # dependency_installer.STEPS; each "[k/n]" line sets it
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m steps")
        self.log = QPlainTextEdit()
        self.log.setObjectName("log")
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.install_button = self.buttons.addButton("Install", QDialogButtonBox.ButtonRole.ActionRole)
        self.install_button.setObjectName("install")
        self.install_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(terminal_label)
        layout.addLayout(terminal)
        layout.addWidget(self.progress)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # running ----------------------------------------------------------------------------------
    def start(self) -> None:
        if not deps.pip_available():
            self._done(False, deps.no_pip_message())
            return
        self.install_button.setEnabled(False)
        self.succeeded = False
        self.progress.setValue(0)
        self.log.clear()
        self.status.setText("Installing… (QGIS stays usable meanwhile)")
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.setProgram(self.arguments[0])
        self.process.setArguments(self.arguments[1:])
        self.process.start()

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _read_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", errors="replace")
        self.log.moveCursor(QTextCursor.MoveOperation.End)
        self.log.insertPlainText(text)
        self.log.ensureCursorVisible()
        for step, total in STEP.findall(text):
            self.progress.setMaximum(int(total))
            self.progress.setValue(int(step) - 1)

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._done(False, f"{self.arguments[0]} could not be started: {self.process.errorString()}")

    def _finished(self, exit_code: int, exit_status) -> None:
        self._read_output()
        if exit_status != QProcess.ExitStatus.NormalExit or exit_code != 0:
            self._done(False, f"The installation failed (exit code {exit_code}); pip's messages are above. "
                              "Nothing of QGIS itself was changed.")
            return
        deps.use_packages_dir(self.target)
        missing = deps.missing_required()
        if missing:
            self._done(False, "pip ended without an error, but "
                              + ", ".join(r.package for r in missing) + " still cannot be found by this QGIS.")
            return
        self.progress.setValue(self.progress.maximum())
        self._done(True, "Installed: SAR Colorizer is ready (no restart needed).")
        self.installed.emit()

    def _done(self, ok: bool, message: str) -> None:
        self.succeeded = ok
        self.status.setText(message)
        self.install_button.setEnabled(not ok)

    def reject(self) -> None:
        """Close; a running installation is stopped (pip installs into the target only at its end)."""
        if self.is_running():
            self.process.kill()
            self.process.waitForFinished(5000)
        super().reject()

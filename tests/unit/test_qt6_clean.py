"""Static check that the plugin's Python code runs on Qt6 (QGIS 4) as well as on Qt5 (QGIS 3.22+).

No QGIS 4 build can be installed here, so this is what stands between the plugin and a QGIS 4
user: the files the plugin zip ships (top-level modules, core/, processing_provider/, ui/) are
parsed and searched for what PyQt6 removed. Unscoped enums (``Qt.AlignLeft`` instead of
``Qt.AlignmentFlag.AlignLeft``) are found by looking each ``Class.Member`` up in the installed
PyQt5/QGIS: a member that is an enum value reached straight from its class is unscoped.
"""
from __future__ import annotations

import ast
import enum
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_PACKAGES = ("core", "processing_provider", "ui")  # what scripts/build_plugin_zip.py ships

# Classes PyQt6 removed (QGIS 4 has none of them), with what to use instead.
REMOVED_NAMES = {
    "QRegExp": "QRegularExpression",
    "QRegExpValidator": "QRegularExpressionValidator",
    "QDesktopWidget": "QScreen (QGuiApplication.primaryScreen())",
    "QStringRef": "str",
    "QTextCodec": "Python str encoding",
    "QMatrix": "QTransform",
    "QLinkedList": "a Python list",
    "QGLWidget": "QOpenGLWidget",
    "qApp": "QApplication.instance()",
}
# Renamed enum members that Qt6 dropped: (class, member) -> replacement.
RENAMED_ENUMS = {
    ("Qt", "MidButton"): "Qt.MouseButton.MiddleButton",
    ("Qt", "TextColorRole"): "Qt.ItemDataRole.ForegroundRole",
    ("Qt", "BackgroundColorRole"): "Qt.ItemDataRole.BackgroundRole",
    ("QPainter", "HighQualityAntialiasing"): "QPainter.RenderHint.Antialiasing",
}
# Classes that moved from QtWidgets to QtGui in Qt6.
MOVED_TO_QTGUI = {"QAction", "QActionGroup", "QShortcut", "QUndoCommand", "QUndoStack", "QFileSystemModel"}
QT_BINDINGS = ("PyQt5", "PyQt6", "sip", "PySide2", "PySide6")
# Where a bare name like Qt or QgsRaster is looked up to tell an enum value from anything else.
LOOKUP_MODULES = ("qgis.PyQt.QtCore", "qgis.PyQt.QtGui", "qgis.PyQt.QtWidgets", "qgis.core", "qgis.gui")


@dataclass(frozen=True)
class Finding:
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


def plugin_python_files(repo: Path = REPO) -> list[Path]:
    files = sorted(repo.glob("*.py"))
    for package in PLUGIN_PACKAGES:
        files += sorted(p for p in (repo / package).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _imports_from_qtgui(body: list[ast.stmt], name: str) -> bool:
    return any(isinstance(s, ast.ImportFrom) and (s.module or "").endswith("QtGui")
               and any(a.name == name for a in s.names) for s in body)


def _guarded_qtwidgets_fallback(node: ast.ImportFrom, parents: dict, name: str) -> bool:
    """True for `try: from ….QtGui import X / except ImportError: from ….QtWidgets import X`."""
    handler = parents.get(node)
    if not isinstance(handler, ast.ExceptHandler):
        return False
    guarded = parents.get(handler)
    return isinstance(guarded, ast.Try) and _imports_from_qtgui(guarded.body, name)


def syntax_findings(source: str) -> list[Finding]:
    """Qt5-only code that needs no Qt to recognise: imports, exec_(), removed classes."""
    tree = ast.parse(source)
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in QT_BINDINGS:
                    found.append(Finding(node.lineno, f"import {alias.name}: import from qgis.PyQt instead"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in QT_BINDINGS:
                found.append(Finding(node.lineno, f"from {node.module} import …: import from qgis.PyQt instead"))
            for alias in node.names:
                if alias.name in REMOVED_NAMES:
                    found.append(Finding(node.lineno, f"{alias.name} is removed in Qt6: use "
                                                      f"{REMOVED_NAMES[alias.name]}"))
                if alias.name == "resources_rc":
                    found.append(Finding(node.lineno, "compiled resources (resources_rc) are removed in Qt6: "
                                                      "load files by path"))
                if node.module.endswith("QtWidgets") and alias.name in MOVED_TO_QTGUI \
                        and not _guarded_qtwidgets_fallback(node, parents, alias.name):
                    found.append(Finding(node.lineno, f"{alias.name} is in QtGui in Qt6: import it from "
                                                      "qgis.PyQt.QtGui, with QtWidgets only as the "
                                                      "ImportError fallback for QGIS 3.22"))
        elif isinstance(node, ast.Attribute):
            if node.attr == "exec_":
                found.append(Finding(node.lineno, "exec_() is removed in PyQt6: call exec()"))
            elif node.attr in REMOVED_NAMES and node.attr != "qApp":
                found.append(Finding(node.lineno, f"{node.attr} is removed in Qt6: use {REMOVED_NAMES[node.attr]}"))
            elif node.attr == "setMargin":
                found.append(Finding(node.lineno, "QLayout.setMargin() is removed in Qt6: setContentsMargins()"))
            elif node.attr == "desktop" and isinstance(parents.get(node), ast.Call):
                found.append(Finding(node.lineno, "QApplication.desktop() is removed in Qt6: use QScreen"))
            if isinstance(node.value, ast.Name):
                key = (node.value.id, node.attr)
                if key in RENAMED_ENUMS:
                    found.append(Finding(node.lineno, f"{key[0]}.{key[1]} is removed in Qt6: "
                                                      f"{RENAMED_ENUMS[key]}"))
                if node.value.id == "QVariant" and node.attr[:1].isupper():
                    found.append(Finding(node.lineno, f"QVariant.{node.attr}: QVariant types are gone in PyQt6, "
                                                      "use QMetaType.Type"))
        elif isinstance(node, ast.Name) and node.id in REMOVED_NAMES and isinstance(node.ctx, ast.Load):
            found.append(Finding(node.lineno, f"{node.id} is removed in Qt6: use {REMOVED_NAMES[node.id]}"))
        elif isinstance(node, ast.FunctionDef) and node.name == "exec_":
            found.append(Finding(node.lineno, "def exec_: PyQt6 calls exec()"))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "activated" and isinstance(node.slice, ast.Name) and node.slice.id == "str":
            found.append(Finding(node.lineno, "activated[str] is removed in Qt6: textActivated"))
    return sorted(found, key=lambda f: f.line)


def _lookup(name: str) -> Optional[object]:
    for module_name in LOOKUP_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return getattr(module, name)
    return None


def _is_enum_type(obj: object) -> bool:
    return isinstance(obj, enum.EnumMeta) or type(obj).__name__ == "enumtype"  # sip's enums on PyQt5


def _is_enum_value(value: object) -> bool:
    return isinstance(value, enum.Enum) or type(type(value)).__name__ == "enumtype"


def _scope_name(owner: type, value: object) -> str:
    """The name under which `owner` holds the enum type of `value`: its own name, or an alias
    (QGIS 3.36+ moved QgsProcessingParameterNumber.Type to Qgis.ProcessingNumberParameterType and
    kept `Type` on the class as an alias, the name that works on 3.22 too)."""
    enum_type = type(value)
    if getattr(owner, enum_type.__name__, None) is enum_type:
        return enum_type.__name__
    aliases = sorted(name for name in dir(owner) if getattr(owner, name, None) is enum_type)
    return aliases[0] if aliases else enum_type.__name__


def _class_members(tree: ast.AST) -> Iterator[ast.Attribute]:
    """`Name.Member` nodes that are not themselves the scope of a longer `Name.Enum.Member`."""
    parents = _parents(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id.startswith("Q") and node.attr[:1].isupper():
            parent = parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.value is node):
                yield node


def unscoped_enum_findings(source: str) -> list[Finding]:
    """`Qt.AlignLeft`-style enum access (PyQt6 wants `Qt.AlignmentFlag.AlignLeft`), found with the
    installed PyQt5/QGIS, whose scoped forms the plugin uses (QGIS 3.22's PyQt5 5.15 takes both)."""
    found = []
    for node in _class_members(ast.parse(source)):
        owner = _lookup(node.value.id)
        if owner is None or _is_enum_type(owner) or not isinstance(owner, type):
            continue
        value = getattr(owner, node.attr, None)
        if value is not None and _is_enum_value(value):
            scope = _scope_name(owner, value)
            found.append(Finding(node.lineno, f"{node.value.id}.{node.attr} is an unscoped enum: write "
                                              f"{node.value.id}.{scope}.{node.attr}"))
    return sorted(found, key=lambda f: f.line)


def _report(findings: dict[str, list[Finding]]) -> str:
    return "\n".join(f"{path}:{f}" for path, fs in findings.items() for f in fs)


def test_the_scan_covers_the_plugin_code():
    names = {p.relative_to(REPO).as_posix() for p in plugin_python_files()}
    assert {"plugin.py", "__init__.py", "processing_provider/colorize_algorithm.py", "ui/icons.py",
            "core/pipeline.py"} <= names
    assert not any(n.startswith(("tests/", "training/", "benchmarks/", "scripts/")) for n in names)


def test_plugin_code_has_no_qt5_only_syntax():
    findings = {p.relative_to(REPO).as_posix(): syntax_findings(p.read_text(encoding="utf-8"))
                for p in plugin_python_files()}
    assert not any(findings.values()), "Qt5-only code (fails on QGIS 4 / Qt6):\n" + _report(findings)


def test_plugin_code_uses_scoped_enums():
    pytest.importorskip("qgis.core", reason="the enum check looks names up in the installed QGIS")
    findings = {p.relative_to(REPO).as_posix(): unscoped_enum_findings(p.read_text(encoding="utf-8"))
                for p in plugin_python_files()}
    assert not any(findings.values()), "unscoped enums (fail on QGIS 4 / Qt6):\n" + _report(findings)


# The checks themselves: each Qt5-only pattern is caught, and each Qt5+Qt6 form passes.

QT5_ONLY = '''\
from PyQt5.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAction, QDialog
from qgis.PyQt.QtCore import QRegExp
dialog.exec_()
layout.setMargin(4)
button = Qt.MidButton
'''


def test_syntax_check_catches_each_qt5_only_pattern():
    assert [str(f) for f in syntax_findings(QT5_ONLY)] == [
        "1: from PyQt5.QtCore import …: import from qgis.PyQt instead",
        "2: QAction is in QtGui in Qt6: import it from qgis.PyQt.QtGui, with QtWidgets only as the "
        "ImportError fallback for QGIS 3.22",
        "3: QRegExp is removed in Qt6: use QRegularExpression",
        "4: exec_() is removed in PyQt6: call exec()",
        "5: QLayout.setMargin() is removed in Qt6: setContentsMargins()",
        "6: Qt.MidButton is removed in Qt6: Qt.MouseButton.MiddleButton",
    ]


def test_syntax_check_accepts_the_guarded_qaction_import_and_exec():
    source = '''\
try:
    from qgis.PyQt.QtGui import QAction
except ImportError:
    from qgis.PyQt.QtWidgets import QAction
dialog.exec()
'''
    assert syntax_findings(source) == []
    unguarded = "try:\n    import json\nexcept ImportError:\n    from qgis.PyQt.QtWidgets import QAction\n"
    assert [f.line for f in syntax_findings(unguarded)] == [4]


def test_enum_check_tells_unscoped_from_scoped():
    pytest.importorskip("qgis.core", reason="the enum check looks names up in the installed QGIS")
    source = '''\
a = Qt.AlignLeft | Qt.AlignmentFlag.AlignTop
b = QgsProcessingParameterNumber.Integer
c = QgsProcessingParameterNumber.Type.Integer
d = QMessageBox.Ok
e = Qgis.QGIS_VERSION
f = QgsProject.instance()
'''
    assert [str(f) for f in unscoped_enum_findings(source)] == [
        "1: Qt.AlignLeft is an unscoped enum: write Qt.AlignmentFlag.AlignLeft",
        "2: QgsProcessingParameterNumber.Integer is an unscoped enum: write QgsProcessingParameterNumber.Type.Integer",
        "4: QMessageBox.Ok is an unscoped enum: write QMessageBox.StandardButton.Ok",
    ]

"""Draw icon.png (64 x 64): grey speckled radar on the left, the same landscape in colour on the right.

Run once with QGIS's Python: `QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icon.py`.
The output is committed; the drawing is deterministic (fixed random seed).
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QBrush, QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen, QPolygonF

SIZE = 64


def landscape(painter: QPainter, grey: bool) -> None:
    """Fields, a river and a forest; in grey levels (radar-like) or colours (optical-like)."""
    def colour(r, g, b):
        if grey:
            v = int(0.30 * r + 0.59 * g + 0.11 * b)
            return QColor(v, v, v)
        return QColor(r, g, b)

    painter.fillRect(QRectF(0, 0, SIZE, SIZE), colour(196, 178, 120))          # dry fields
    painter.fillRect(QRectF(0, 0, SIZE, 22), colour(64, 120, 58))              # forest
    painter.fillRect(QRectF(34, 22, 30, 18), colour(150, 186, 90))             # crops
    river = QPainterPath(QPointF(-4, 44))
    river.cubicTo(QPointF(18, 30), QPointF(40, 62), QPointF(68, 40))
    painter.setPen(QPen(colour(40, 96, 170) if not grey else QColor(20, 20, 20), 7))
    painter.setBrush(Qt.NoBrush)
    painter.drawPath(river)


def speckle(painter: QPainter, rng: random.Random) -> None:
    painter.setPen(Qt.NoPen)
    for _ in range(420):
        v = rng.randint(0, 255)
        painter.setBrush(QColor(v, v, v, 90))
        painter.drawRect(QRectF(rng.randrange(SIZE), rng.randrange(SIZE), 2, 2))


def draw() -> QImage:
    image = QImage(SIZE, SIZE, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    frame = QPainterPath()
    frame.addRoundedRect(QRectF(1, 1, SIZE - 2, SIZE - 2), 10, 10)
    painter.setClipPath(frame)

    landscape(painter, grey=False)
    left = QPainterPath()
    left.addPolygon(QPolygonF([QPointF(0, 0), QPointF(SIZE * 0.62, 0), QPointF(SIZE * 0.38, SIZE), QPointF(0, SIZE)]))
    painter.save()
    painter.setClipPath(left, Qt.IntersectClip)
    landscape(painter, grey=True)
    speckle(painter, random.Random(3))
    painter.restore()

    painter.setPen(QPen(QColor(255, 255, 255), 3))
    painter.drawLine(QPointF(SIZE * 0.62, -2), QPointF(SIZE * 0.38, SIZE + 2))
    painter.setClipping(False)
    painter.setPen(QPen(QColor(40, 40, 40), 2))
    painter.setBrush(QBrush(Qt.NoBrush))
    painter.drawPath(frame)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)  # noqa: F841 - fonts/painting need it
    out = Path(__file__).resolve().parent.parent / "icon.png"
    if not draw().save(str(out), "PNG"):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# One-time set-up on Debian 12 (idempotent): QGIS + GDAL from Debian, then .venv with the pinned
# Python packages and this project installed editable (sar-colorize, sar-colorizer-train, ...).
# Everything: the runtime (requirements.txt), training (requirements-train.txt: torch, which the
# tests use to build models) and the test tools (requirements-dev.txt pulls in both).
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=0
for pkg in python3-qgis qgis-providers qgis python3-gdal gdal-bin python3-venv python3-pip xvfb; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
    python3-qgis qgis-providers qgis python3-gdal gdal-bin python3-venv python3-pip xvfb
fi
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
stamp=.venv/.sar-colorizer-installed
want=$(cat requirements.txt requirements-train.txt requirements-dev.txt pyproject.toml | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade "pip<25"
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  .venv/bin/python - <<'PY'
import numpy, onnxruntime, osgeo.gdal, qgis.core, torch  # the venv must still see Debian's numpy/GDAL/QGIS
assert numpy.__version__.startswith("1.24"), f"numpy {numpy.__version__} replaced Debian's 1.24"
PY
  echo "$want" > "$stamp"
fi
echo "set-up done: $(pwd)/.venv"

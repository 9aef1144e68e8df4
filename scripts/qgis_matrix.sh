#!/usr/bin/env bash
# Run the plugin's QGIS tests on the QGIS of other Debian releases: trixie (QGIS 3.40) and forky
# (QGIS 3.44), each in a chroot built with debootstrap. Not CI: it downloads a Debian system and
# QGIS per release (about 2.1 GB on disk each, cached), and needs root (debootstrap, chroot, mount).
#
#   sudo bash scripts/qgis_matrix.sh                      # trixie and forky
#   sudo bash scripts/qgis_matrix.sh --cache /big/disk trixie
#   sudo bash scripts/qgis_matrix.sh --tests "tests/qgis/test_plugin.py" forky
#   sudo bash scripts/qgis_matrix.sh --worktree           # your uncommitted files instead of HEAD
#
# Per release: <cache>/<suite>/ is the chroot (built once, reused), with QGIS from Debian
# (python3-qgis qgis qgis-providers python3-gdal) and a venv (--system-site-packages, so Debian's
# QGIS, GDAL and numpy are used) holding the plugin's runtime dependency onnxruntime (no torch)
# and pytest + pytest-qgis. The repository at HEAD (with --worktree: the working tree's files that
# git does not ignore) is copied to /src/sar_colorizer in the chroot, ../shared/data is mounted
# read-only beside it when present, and pytest runs there headless (QT_QPA_PLATFORM=offscreen).
# Tests that need torch skip.
# Logs and JUnit XML: <cache>/results/<suite>.{log,xml}; a one-line summary per suite at the end.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${SAR_MATRIX_CACHE:-$HOME/.cache/sar_colorizer/qgis-matrix}"
# the mirror this machine's apt uses (deb822 "URIs:" or one-line "deb URL"), else Debian's CDN
MIRROR=$( (grep -rhoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/ 2>/dev/null | head -1 | awk '{print $2}') || true)
[ -n "$MIRROR" ] || MIRROR=$( (grep -rhoE '^deb +http[^ ]*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}') || true)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
TESTS="tests/qgis tests/unit tests/integration"
BUILD_ONLY=0
WORKTREE=0
SUITES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cache) CACHE=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --tests) TESTS=$2; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --worktree) WORKTREE=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "qgis_matrix.sh: unknown option $1" >&2; exit 2 ;;
    *) SUITES+=("$1"); shift ;;
  esac
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(trixie forky)

# onnxruntime per release: a version with wheels for that release's Python (3.13 in trixie, 3.13
# or 3.14 in forky) that accepts its numpy (2.x); pip is held to the release's own numpy below
declare -A ONNXRUNTIME=([trixie]=1.32.0 [forky]=1.32.0)
PYTEST=8.3.5
PYTEST_QGIS=5.0.2
# git, setuptools: tests clone the repository and build its wheel
QGIS_PACKAGES="python3-qgis qgis qgis-providers python3-gdal python3-venv git python3-setuptools"

[ "$(id -u)" = 0 ] || { echo "qgis_matrix.sh: needs root (debootstrap, chroot, mount): run it with sudo" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "qgis_matrix.sh: debootstrap is missing: apt-get install debootstrap" >&2; exit 2; }
mkdir -p "$CACHE/results"

# Runs a command inside the chroot in a private mount namespace: the mounts go away with it.
in_chroot() {
  local root=$1; shift
  unshare --mount --propagation private bash -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    if [ -d "$SHARED_DATA" ]; then
      mkdir -p "$root/src/shared/data"
      mount --bind "$SHARED_DATA" "$root/src/shared/data"
      mount -o remount,bind,ro "$root/src/shared/data"
    fi
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
  ' in_chroot "$root" "$@"
}

build() {
  local suite=$1 root=$CACHE/$1
  [ -f "$root/.sar-matrix-ready" ] && return 0
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    # the "sid" script bootstraps every current release, also those this debootstrap predates
    debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$MIRROR" \
      /usr/share/debootstrap/scripts/sid
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
  # a mirror that is a frozen snapshot (like this machine's) serves Release files past their
  # Valid-Until date; their signatures are still checked
  echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99sar-matrix-snapshot"
  in_chroot "$root" apt-get update -q
  in_chroot "$root" apt-get install -y -q --no-install-recommends $QGIS_PACKAGES
  in_chroot "$root" apt-get clean
  in_chroot "$root" python3 -m venv --system-site-packages /opt/sar-venv
  # never replace the numpy QGIS and GDAL of that release are built against
  in_chroot "$root" sh -c 'python3 -c "import numpy; print(\"numpy==\" + numpy.__version__)" > /opt/numpy-constraint.txt'
  # this machine's CA bundle, so that pip also works behind a TLS-inspecting proxy
  cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$root/opt/host-ca-bundle.crt"
  in_chroot "$root" /opt/sar-venv/bin/python -m pip install -q --disable-pip-version-check \
    --cert /opt/host-ca-bundle.crt -c /opt/numpy-constraint.txt \
    "onnxruntime==${ONNXRUNTIME[$suite]}" "pytest==$PYTEST" "pytest-qgis==$PYTEST_QGIS"
  # the package importable by every python of the venv, also in tests' subprocesses with a bare
  # environment (as the editable install of scripts/setup.sh does on the host)
  in_chroot "$root" /opt/sar-venv/bin/python -c \
    'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "sar_colorizer_src.pth").write_text("/src\n")'
  touch "$root/.sar-matrix-ready"
}

versions() {
  in_chroot "$1" /opt/sar-venv/bin/python -c '
import sys, numpy, onnxruntime
from osgeo import gdal
from qgis.core import Qgis
from qgis.PyQt.QtCore import QT_VERSION_STR, PYQT_VERSION_STR
print(f"QGIS {Qgis.QGIS_VERSION}, Qt {QT_VERSION_STR}, PyQt {PYQT_VERSION_STR}, Python {sys.version.split()[0]}, "
      f"GDAL {gdal.__version__}, numpy {numpy.__version__}, onnxruntime {onnxruntime.__version__}")'
}

run_tests() {
  local suite=$1 root=$CACHE/$1
  rm -rf "$root/src/sar_colorizer"
  # a clone of HEAD (the same commit for every release): a git checkout, as the plugin-zip and
  # demo tests want
  git clone -q "$REPO" "$root/src/sar_colorizer"
  git -C "$root/src/sar_colorizer" checkout -q --detach "$COMMIT"
  if [ "$WORKTREE" = 1 ]; then  # then the tracked and new files as they are now, nothing git ignores
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | \
       tar --null -T - --ignore-failed-read -cf -) | tar -xf - -C "$root/src/sar_colorizer"
  fi
  local log=$CACHE/results/$suite.log
  { versions "$root"
    echo "code: $([ "$WORKTREE" = 1 ] && echo "working tree of ")${COMMIT:0:7}"
  } | tee "$log"
  set +e
  in_chroot "$root" /usr/bin/env QT_QPA_PLATFORM=offscreen PYTHONPATH=/src PYTHONDONTWRITEBYTECODE=1 \
    sh -c "cd /src/sar_colorizer && /opt/sar-venv/bin/python -m pytest $TESTS -q -rsfE \
      --junitxml=/src/results.xml" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  cp "$root/src/results.xml" "$CACHE/results/$suite.xml" 2>/dev/null || true
  return "$rc"
}

export SHARED_DATA="$REPO/../shared/data"
COMMIT=$(git -C "$REPO" rev-parse HEAD)
declare -A SUMMARY
status=0
for suite in "${SUITES[@]}"; do
  echo "=== $suite: building $CACHE/$suite (from $MIRROR)"
  build "$suite"
  [ "$BUILD_ONLY" = 1 ] && { SUMMARY[$suite]="built: $(versions "$CACHE/$suite")"; continue; }
  echo "=== $suite: running $TESTS"
  if run_tests "$suite"; then rc=0; else rc=$?; status=1; fi
  SUMMARY[$suite]="$(head -1 "$CACHE/results/$suite.log") | pytest exit $rc: $(grep -E '^=*.*(passed|failed|error).* in [0-9.]+s' "$CACHE/results/$suite.log" | tail -1 | tr -d '=')"
done
echo
for suite in "${SUITES[@]}"; do echo "$suite: ${SUMMARY[$suite]}"; done
exit "$status"

#!/usr/bin/env bash
# Start the real QGIS desktop under Xvfb with this working tree as the enabled plugin, and let
# scripts/qgis_desktop_check.py click through it (right-click action, dialog, run, reload).
#   bash scripts/qgis_desktop_check.sh SCENE.tif [MODEL.safetensors] [OUT_DIR]
# Needs: qgis, xvfb-run. Screenshots and check.log land in OUT_DIR (default: /tmp/sar-colorizer-desktop).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scene="$(realpath "$1")"
model="${2:+$(realpath "$2")}"
out="$(realpath -m "${3:-/tmp/sar-colorizer-desktop}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/plugins" "$work/profiles/profiles/default/QGIS" "$work/runtime"
chmod 700 "$work/runtime"
ln -s "$repo" "$work/plugins/sar_colorizer"
cat > "$work/profiles/profiles/default/QGIS/QGIS3.ini" <<'INI'
[PythonPlugins]
sar_colorizer=true
processing=true

[qgis]
checkVersion=false
showTips322=false
INI
python="$repo/.venv/bin/python"
site="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
CHECK_OUT="$out" SCENE="$scene" MODEL_FILE="$model" QGIS_PLUGINPATH="$work/plugins" \
  PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" XDG_RUNTIME_DIR="$work/runtime" \
  timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" \
  qgis --profiles-path "$work/profiles" --nologo --noversioncheck --code "$repo/scripts/qgis_desktop_check.py" \
  > "$out/qgis.out" 2>&1 || { echo "QGIS exited with $? (see $out/qgis.out)"; }
cat "$out/check.log"
grep -q "^done 0" "$out/check.log"

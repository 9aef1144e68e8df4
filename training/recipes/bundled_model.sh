#!/usr/bin/env bash
# Rerunnable recipe for the bundled model (models/sar_colorizer.safetensors) and its plain U-Net
# baseline (b). Both train at the same time on a 2-core CPU, one torch thread each, ~1 hour.
#   bash training/recipes/bundled_model.sh            # train both, then export + evaluate
#   STAGE=export bash training/recipes/bundled_model.sh   # only the export/evaluation steps
# Data: ../shared/data/train (see its README). India scene-3 is validation only.
set -euo pipefail
source "$(dirname "$0")/common.sh"
COMMON=("${RECIPE[@]}"
  --bands VV,VH                                       # + availability channels: VV, VH or both
  --max-minutes 70
)

if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  # (a) the bundled robust model: skip re-alignment + shift-tolerant MSE
  "$PY" -m sar_colorizer.training.cli train "${COMMON[@]}" --loss shift_mse --loss-shift 2 \
      --out "$RUNS/bundled/model.safetensors" --name sar-colorizer-robust-unet \
      --description "Robust U-Net (aligned skips), VV/VH with availability channels, shift-tolerant MSE" \
      > "$RUNS/bundled.log" 2>&1 &
  A=$!
  # (b) the plain U-Net baseline: same recipe, no alignment, plain MSE
  "$PY" -m sar_colorizer.training.cli train "${COMMON[@]}" --loss mse --no-align \
      --out "$RUNS/plain/model.safetensors" --name sar-colorizer-plain-unet \
      --description "Baseline (b): plain U-Net, MSE only, same data/recipe as the bundled model" \
      > "$RUNS/plain.log" 2>&1 &
  B=$!
  wait $A; wait $B
fi

if [[ "$STAGE" == all || "$STAGE" == export ]]; then
  mkdir -p models docs
  # India scene-3, tiled without overlap: (a) bundled, (b) plain U-Net, (c) mean colour, (d) SAR grey; shifted optical
  "$PY" -m sar_colorizer.training.cli eval --model "$RUNS/bundled/model.safetensors" --model "$RUNS/plain/model.safetensors" \
      --data "$DATA" --only 'india-scenes/scene-3' --baselines --shifts 1 2 4 \
      --grid docs/eval-india-scene3.png --json "$RUNS/eval-india-scene3.json" --threads 2
  # every validation pair of every data set (per-data-set colour error)
  "$PY" -m sar_colorizer.training.cli eval --model "$RUNS/bundled/model.safetensors" --model "$RUNS/plain/model.safetensors" \
      --data "$DATA" --band-roles la-texas-vh=VH --baselines \
      --only 'india-scenes/scene-3' --only 'desert-patches/*_patch_15' --only 'la-texas-vh/*[05]' \
      --only 'temperate-pairs/finland_000aa810_*' --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*' \
      --grid docs/eval-validation.png --grid-tiles 8 --json "$RUNS/eval-validation.json" --threads 2
  # ship: same weights, the two evaluations added to the metadata, then the ONNX export
  "$PY" -c "
from sar_colorizer.training.export import publish_model, export_onnx_file
publish_model('$RUNS/bundled/model.safetensors', 'models/sar_colorizer.safetensors',
              {'india_scene3_tiled_no_overlap': '$RUNS/eval-india-scene3.json',
               'validation_all_datasets': '$RUNS/eval-validation.json'}, commit='${TRAIN_COMMIT:-}' or None)
print(export_onnx_file('models/sar_colorizer.safetensors', 'models/sar_colorizer.onnx'))"
  # the committed grids are half size (2x2 average) to keep the repository small
  for f in docs/eval-india-scene3.png docs/eval-validation.png; do
    gdal_translate -q -of PNG -outsize 50% 50% -r average "$f" "$f.half.png" && mv "$f.half.png" "$f"; rm -f "$f.aux.xml" "$f.half.png.aux.xml"
  done
fi

#!/usr/bin/env bash
# Measurements behind the choices of the bundled model (MODEL.md): same data, split, seed and
# schedule as training/recipes/bundled_model.sh, one change each. Two runs side by side on 2 cores.
#   (e) VV-only input (no VH, no availability channels; la-texas-vh is VH-only, so it is left out)
#   (f) robust U-Net trained with plain MSE instead of the shift-tolerant MSE
set -euo pipefail
source "$(dirname "$0")/common.sh"
COMMON=("${RECIPE[@]}" --max-minutes 50)
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
mkdir -p "$RUNS"
"$PY" -m sar_colorizer.training.cli train "${COMMON[@]}" --bands VV --no-availability-channels \
    --exclude 'la-texas-vh/*' --loss shift_mse --loss-shift 2 \
    --out "$RUNS/vv-only/model.safetensors" --name sar-colorizer-vv-only \
    --description "Ablation (e): robust U-Net, VV only" > "$RUNS/vv-only.log" 2>&1 &
A=$!
"$PY" -m sar_colorizer.training.cli train "${COMMON[@]}" --bands VV,VH --loss mse \
    --out "$RUNS/robust-mse/model.safetensors" --name sar-colorizer-robust-mse \
    --description "Ablation (f): robust U-Net, VV/VH, plain MSE" > "$RUNS/robust-mse.log" 2>&1 &
B=$!
wait $A || echo "VV-only run failed"; wait $B || echo "plain-MSE run failed"
fi
[[ "$STAGE" == all || "$STAGE" == eval ]] || exit 0

# Scores (the numbers in MODEL.md). VV-only model vs the bundled model on validation pairs that have VV;
# the bundled model again with VH hidden; the plain-MSE robust model on every validation set.
VAL=(--only 'india-scenes/scene-3' --only 'desert-patches/*_patch_15' --only 'temperate-pairs/finland_000aa810_*'
     --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*')
"$PY" -m sar_colorizer.training.cli eval --model models/sar_colorizer.safetensors --model "$RUNS/vv-only/model.safetensors" \
    --model "$RUNS/robust-mse/model.safetensors" --data "$DATA" "${VAL[@]}" --grid '' --shifts 1 2 4 \
    --json "$RUNS/eval-ablations-vv-sets.json" --threads 2
"$PY" -m sar_colorizer.training.cli eval --model models/sar_colorizer.safetensors --data "$DATA" \
    --only 'temperate-pairs/finland_000aa810_*' --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*' \
    --drop-band VH --grid '' --json "$RUNS/eval-bundled-vh-hidden.json" --threads 2
"$PY" -m sar_colorizer.training.cli eval --model "$RUNS/robust-mse/model.safetensors" --data "$DATA" \
    --band-roles la-texas-vh=VH --only 'la-texas-vh/*[05]' --grid '' --json "$RUNS/eval-robust-mse-la-texas.json" --threads 2

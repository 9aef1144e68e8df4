#!/usr/bin/env bash
# Ablation (issue 11): is the structure the prior-residual model adds in a place it never saw hurt by
# the SSIM and L1 terms, which reward full contrast whatever the model's confidence? The
# leave-one-set-out temperate run of prior_residual_experiment.sh (10 epochs, same data, split and
# seed) with the shift-tolerant MSE alone, scored as that run was, with the palette mapping fitted
# without each pair's place.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-residual --loss shift_mse)  # the later --loss wins over common.sh's shift_l1_ssim
STAGE=${STAGE:-all}
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "${LOSO_EPOCHS:-10}" \
      --max-minutes "${LOSO_MINUTES:-40}" --exclude 'temperate-pairs/*' \
      --out "$RUNS/loso-temperate-residual-mse/model.safetensors" --name loso-temperate-residual-mse \
      >> "$RUNS/loso-temperate-residual-mse.log" 2>&1
fi
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  evaluate_priors --palette-fit without-place --new "$RUNS/loso-temperate-residual-mse/model.safetensors" \
      --only 'temperate-pairs/*' --title "prior residual, shift MSE only, leave-one-set-out temperate" \
      --json "$RUNS/eval-residual-mse-loso-temperate.json"
fi

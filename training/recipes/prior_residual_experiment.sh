#!/usr/bin/env bash
# Experiment (issue 11): the prior-residual output (--prior-residual: the output is the prior's colour
# plus the network's correction, in logits) with prior_model.sh's data, split, seed and schedule.
# Trains the full model and the leave-one-set-out-temperate model side by side, one thread each, then
# the leave-one-set-out-desert model, and scores them as prior_model.sh scores its models. (In the
# session that ran it, the desert run was started by hand beside the other two, with --max-minutes 26.)
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-residual)
STAGE=${STAGE:-all}
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "${MAIN_EPOCHS:-24}" \
      --max-minutes "${MAIN_MINUTES:-70}" --out "$RUNS/prior-residual/model.safetensors" --name sar-colorizer-prior-residual \
      --description "Robust U-Net whose output is the colour prior plus its correction" >> "$RUNS/prior-residual.log" 2>&1 &
  A=$!
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "${LOSO_EPOCHS:-10}" \
      --max-minutes "${LOSO_MINUTES:-35}" --exclude 'temperate-pairs/*' \
      --out "$RUNS/loso-temperate-residual/model.safetensors" --name loso-temperate-residual \
      >> "$RUNS/loso-temperate-residual.log" 2>&1 &
  B=$!
  wait $A; wait $B
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "${LOSO_EPOCHS:-10}" \
      --max-minutes "${LOSO_MINUTES:-35}" --exclude 'desert-patches/*' \
      --out "$RUNS/loso-desert-residual/model.safetensors" --name loso-desert-residual \
      >> "$RUNS/loso-desert-residual.log" 2>&1
fi
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  score_prior_runs "$RUNS/prior-residual/model.safetensors" "$RUNS/loso-temperate-residual/model.safetensors" \
      "$RUNS/loso-desert-residual/model.safetensors" residual "prior residual"
fi

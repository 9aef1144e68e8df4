#!/usr/bin/env bash
# Experiment (issue 11): the prior-residual runs of prior_residual_experiment.sh trained longer.
# Each run resumes from that recipe's last checkpoint with a longer schedule (a warm restart of the
# cosine learning rate at the step it stopped): the full model 20 -> 36 epochs, each
# leave-one-set-out model 10 -> 24 epochs. Same data, split, seed and loss. The earlier runs are
# copied first, so their results stay as they were.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-residual)
STAGE=${STAGE:-all}
longer() {  # longer FROM TO EPOCHS MINUTES [train args...]
  local from=$1 to=$2 epochs=$3 minutes=$4; shift 4
  if [[ ! -d "$RUNS/$to/model.run" ]]; then
    [[ -f "$RUNS/$from/model.run/checkpoint.pt" ]] || { echo "no checkpoint in $RUNS/$from: run prior_residual_experiment.sh first" >&2; return 1; }
    cp -r "$RUNS/$from" "$RUNS/$to"
  fi
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$epochs" --max-minutes "$minutes" \
      --resume --out "$RUNS/$to/model.safetensors" --run-dir "$RUNS/$to/model.run" "$@" >> "$RUNS/$to.log" 2>&1
}
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  longer prior-residual prior-residual-36 36 45 --name sar-colorizer-prior-residual \
      --description "Robust U-Net whose output is the colour prior plus its correction" &
  A=$!
  ( longer loso-temperate-residual loso-temperate-residual-24 24 35 --exclude 'temperate-pairs/*' --name loso-temperate-residual
    longer loso-desert-residual loso-desert-residual-24 24 35 --exclude 'desert-patches/*' --name loso-desert-residual ) &
  B=$!
  wait $A; wait $B
fi
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  score_prior_runs "$RUNS/prior-residual-36/model.safetensors" "$RUNS/loso-temperate-residual-24/model.safetensors" \
      "$RUNS/loso-desert-residual-24/model.safetensors" residual-long "prior residual, 36/24 epochs"
fi

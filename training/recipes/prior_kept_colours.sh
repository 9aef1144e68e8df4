#!/usr/bin/env bash
# Experiment (issue 11): prior_model.sh's recipe (same data, split, seed, loss, width) trained with
# --prior-keep-coarse: the output keeps the prior's coarse colours (Gaussian, 64 px) and the network
# adds only the finer structure (core/coarse_colours.py, training/kept_colours.py), for the world
# palette and references alike. Three runs, one torch thread each: the full model beside
# "no temperate pairs"; "no desert patches" after the latter. Then issue 11's evaluation, with the
# palette mapping fitted without each pair's place (PALETTE_FIT=without-place).
#   bash training/recipes/prior_kept_colours.sh          # train, then evaluate
#   STAGE=eval bash training/recipes/prior_kept_colours.sh
# A run whose folder holds a checkpoint resumes from it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-keep-coarse --prior-coarse-sigma 64)
MAIN_EPOCHS=${MAIN_EPOCHS:-16}
LOSO_EPOCHS=${LOSO_EPOCHS:-10}
MAIN_MINUTES=${MAIN_MINUTES:-75}
LOSO_MINUTES=${LOSO_MINUTES:-40}
resume() { [[ -f "$RUNS/$1/model.run/checkpoint.pt" ]] && echo --resume || true; }

if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$MAIN_EPOCHS" --max-minutes "$MAIN_MINUTES" \
      $(resume kept) --out "$RUNS/kept/model.safetensors" --name sar-colorizer-prior-kept \
      --description "Robust U-Net conditioned on a colour prior of the place, whose coarse colours the output keeps" \
      >> "$RUNS/kept.log" 2>&1 &
  A=$!
  ( "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'temperate-pairs/*' $(resume loso-temperate-kept) --out "$RUNS/loso-temperate-kept/model.safetensors" \
        --name loso-temperate-kept >> "$RUNS/loso-temperate-kept.log" 2>&1
    "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'desert-patches/*' $(resume loso-desert-kept) --out "$RUNS/loso-desert-kept/model.safetensors" \
        --name loso-desert-kept >> "$RUNS/loso-desert-kept.log" 2>&1 ) &
  B=$!
  wait $A; wait $B
fi

if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  PALETTE_FIT=without-place score_prior_runs "$RUNS/kept/model.safetensors" "$RUNS/loso-temperate-kept/model.safetensors" \
      "$RUNS/loso-desert-kept/model.safetensors" kept "coarse colours kept"
fi

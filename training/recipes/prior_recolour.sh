#!/usr/bin/env bash
# Experiment (issue 11): prior_model.sh's recipe (same data, split, seed, loss, width) with
# --prior-recolour 0.5: half the tiles that have a prior get one random colour gain (log-gain std 0.5
# per channel) on both their target and their prior (training/priors.recolour_tile). In the data a
# place's colour goes with its kind of backscatter, so the shipped recipe learned colour from the SAR
# and followed an unfamiliar prior only weakly (MODEL.md, "Where it loses"); recoloured tiles can
# only get their colour from the prior. Three runs, one torch thread each: the full model beside
# "no temperate pairs"; "no desert patches" after the latter. Then issue 11's evaluation, palette
# mapping fitted without each pair's place (PALETTE_FIT=without-place), a reference's coarse colours
# kept as the shipped model does (COARSE_FROM=reference).
#   bash training/recipes/prior_recolour.sh          # train, then evaluate
#   STAGE=eval bash training/recipes/prior_recolour.sh
# A run whose folder holds a checkpoint resumes from it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-recolour 0.5 --prior-recolour-sigma 0.5)
MAIN_EPOCHS=${MAIN_EPOCHS:-20}
LOSO_EPOCHS=${LOSO_EPOCHS:-10}
MAIN_MINUTES=${MAIN_MINUTES:-70}
LOSO_MINUTES=${LOSO_MINUTES:-35}
resume() { [[ -f "$RUNS/$1/model.run/checkpoint.pt" ]] && echo --resume || true; }

if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$MAIN_EPOCHS" --max-minutes "$MAIN_MINUTES" \
      $(resume recolour) --out "$RUNS/recolour/model.safetensors" --name sar-colorizer-prior-recolour \
      --description "Robust U-Net conditioned on a colour prior of the place, trained with recoloured tiles" \
      >> "$RUNS/recolour.log" 2>&1 &
  A=$!
  ( "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'temperate-pairs/*' $(resume loso-temperate-recolour) --out "$RUNS/loso-temperate-recolour/model.safetensors" \
        --name loso-temperate-recolour >> "$RUNS/loso-temperate-recolour.log" 2>&1
    "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'desert-patches/*' $(resume loso-desert-recolour) --out "$RUNS/loso-desert-recolour/model.safetensors" \
        --name loso-desert-recolour >> "$RUNS/loso-desert-recolour.log" 2>&1 ) &
  B=$!
  wait $A; wait $B
fi

if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  PALETTE_FIT=without-place COARSE_FROM=reference score_prior_runs "$RUNS/recolour/model.safetensors" \
      "$RUNS/loso-temperate-recolour/model.safetensors" "$RUNS/loso-desert-recolour/model.safetensors" recolour \
      "recoloured tiles"
fi

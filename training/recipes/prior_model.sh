#!/usr/bin/env bash
# Rerunnable recipe for the colour-prior model (issue 11) and its leave-one-set-out runs.
# Three runs on a 2-core CPU, one torch thread each: the model to ship (all data but the validation
# parts) beside "no temperate pairs" (LOSO-temperate); "no desert patches" (LOSO-desert) after it.
#   bash training/recipes/prior_model.sh              # train all three, then evaluate
#   STAGE=eval bash training/recipes/prior_model.sh   # only the evaluations and the picture grids
#   STAGE=ship bash training/recipes/prior_model.sh   # publish models/sar_colorizer.safetensors + its ONNX export
# A run whose folder holds a checkpoint resumes from it (after a session ended, or to change the
# number of epochs: the learning-rate schedule follows the new count from the step it resumes at).
# Data: ../shared/data/train (see its README). India scene-3 is validation only.
set -euo pipefail
source "$(dirname "$0")/common.sh"
MAIN_EPOCHS=${MAIN_EPOCHS:-20}
LOSO_EPOCHS=${LOSO_EPOCHS:-10}
MAIN_MINUTES=${MAIN_MINUTES:-100}  # wall-clock budget of this invocation (a resumed run gets it anew)
LOSO_MINUTES=${LOSO_MINUTES:-45}

resume() { [[ -f "$RUNS/$1/model.run/checkpoint.pt" ]] && echo --resume || true; }

if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$MAIN_EPOCHS" --max-minutes "$MAIN_MINUTES" \
      $(resume prior) --out "$RUNS/prior/model.safetensors" --name sar-colorizer-prior \
      --description "Robust U-Net conditioned on a colour prior of the place (world palette / colour reference)" \
      > "$RUNS/prior.log" 2>&1 &
  A=$!
  ( "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'temperate-pairs/*' $(resume loso-temperate) --out "$RUNS/loso-temperate/model.safetensors" --name loso-temperate \
        >> "$RUNS/loso-temperate.log" 2>&1
    "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$LOSO_EPOCHS" --max-minutes "$LOSO_MINUTES" \
        --exclude 'desert-patches/*' $(resume loso-desert) --out "$RUNS/loso-desert/model.safetensors" --name loso-desert \
        >> "$RUNS/loso-desert.log" 2>&1 ) &
  B=$!
  wait $A; wait $B
fi

# the shipped rule: a colour reference's coarse colours are kept (reference_colours.sh, MODEL.md)
export COARSE_FROM=reference
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  score_prior_runs "$RUNS/prior/model.safetensors" "$RUNS/loso-temperate/model.safetensors" \
      "$RUNS/loso-desert/model.safetensors" priors "" docs
fi

if [[ "$STAGE" == all || "$STAGE" == ship ]]; then
  # ship: the same weights with the three evaluations in the metadata, then the ONNX export
  publish_shipped "$RUNS/prior/model.safetensors" "priors"
fi

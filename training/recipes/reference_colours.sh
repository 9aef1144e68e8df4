#!/usr/bin/env bash
# Issue 11: the shipped weights (runs/prior of prior_model.sh, unchanged) with a colour reference's coarse
# colours kept (core/coarse_colours.py; PriorSpec.coarse_from = reference), scored as prior_model.sh
# scores them, the palette mapping fitted without each pair's place; then the model file re-published
# with that rule and these evaluations in its metadata, and its ONNX export.
#   STAGE=eval bash training/recipes/reference_colours.sh   # the three evaluations
#   STAGE=ship bash training/recipes/reference_colours.sh   # re-publish models/sar_colorizer.{safetensors,onnx}
# The world palette's colours are not kept: at bright deserts its mapped colours are far off (MODEL.md,
# "Coarse colours of a colour reference kept"), and the model corrects them.
set -euo pipefail
source "$(dirname "$0")/common.sh"
STAGE=${STAGE:-all}
KEEP=(--coarse-from reference)

if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  PALETTE_FIT=without-place evaluate_priors "${KEEP[@]}" --new "$RUNS/prior/model.safetensors" "${VALIDATION[@]}" \
      --title "reference coarse colours kept, validation parts of every data set" \
      --json "$RUNS/eval-reference-kept-validation.json" --grid docs/eval-reference-kept-validation.png
  PALETTE_FIT=without-place evaluate_priors "${KEEP[@]}" --new "$RUNS/loso-temperate/model.safetensors" \
      --only 'temperate-pairs/*' --title "reference coarse colours kept, leave-one-set-out: trained without temperate-pairs" \
      --json "$RUNS/eval-reference-kept-loso-temperate.json" --grid docs/eval-reference-kept-loso-temperate.png
  evaluate_priors "${KEEP[@]}" --new "$RUNS/loso-desert/model.safetensors" --only 'desert-patches/*' \
      --title "reference coarse colours kept, leave-one-set-out: trained without desert-patches" \
      --json "$RUNS/eval-reference-kept-loso-desert.json"
fi

if [[ "$STAGE" == all || "$STAGE" == ship ]]; then
  publish_shipped "models/sar_colorizer.safetensors" "reference-kept"
fi

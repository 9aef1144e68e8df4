#!/usr/bin/env bash
# Ablation (issue 11, "a wider network where it pays"): the shipped colour-prior recipe
# (prior_model.sh: same data, split, seed, loss, priors) at base width 16 (shipped) and 24 (2.25x the
# convolution work), both for the same short schedule (WIDTH_EPOCHS, default 8: what fits beside other
# work in one session), scored on the validation parts. Equal steps, not equal CPU time.
set -euo pipefail
source "$(dirname "$0")/common.sh"
STAGE=${STAGE:-all}
E=${WIDTH_EPOCHS:-8}
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  for w in 16 24; do
    "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$E" --base-channels "$w" \
        --max-minutes "${WIDTH_MINUTES:-60}" --out "$RUNS/width-$w/model.safetensors" --name "prior-width-$w" \
        >> "$RUNS/width-$w.log" 2>&1 &
  done
  wait
fi
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  for w in 16 24; do
    evaluate_priors --new "$RUNS/width-$w/model.safetensors" "${VALIDATION[@]}" \
        --title "colour-prior recipe, base width $w, $E epochs, validation parts" --json "$RUNS/eval-width-$w-validation.json"
  done
fi

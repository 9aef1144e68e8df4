#!/usr/bin/env bash
# Experiment (issue 11): leave out one temperate *place* instead of the whole temperate set. The
# leave-one-set-out run trains without any dual-polarisation input and without any temperate
# landscape; here the model keeps the one temperate training pair that is not a validation pair
# (SEN12MS-CR, Jiangsu) and is scored on the Finnish place 0060c0a5 (10 months) that it never saw.
# Same recipe as prior_recolour.sh RESIDUAL=1 (shipped palette files, recoloured tiles, prior
# residual, 10 epochs), palette mapping fitted without each pair's place.
#   bash training/recipes/leave_out_place.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT=$RUNS/loso-place-0060c0a5-recolour-residual
PLACE='temperate-pairs/finland_0060c0a5_*'
[[ -f "$OUT/model.run/checkpoint.pt" ]] && RESUME=--resume || RESUME=
if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --prior-recolour 0.5 --prior-recolour-sigma 0.5 \
      --prior-residual --epochs "${EPOCHS_PLACE:-10}" --max-minutes 45 --threads "${THREADS:-1}" --exclude "$PLACE" $RESUME \
      --out "$OUT/model.safetensors" --name sar-colorizer-loso-place-0060c0a5 \
      --description "Robust U-Net conditioned on a colour prior, trained without one Finnish place" >> "$OUT.log" 2>&1
fi
if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  PALETTE_FIT=without-place COARSE_FROM=reference evaluate_priors --new "$OUT/model.safetensors" --only "$PLACE" \
      --title "trained without the Finnish place 0060c0a5 (one temperate pair kept), scored on its 10 months" \
      --json "$RUNS/eval-loso-place-0060c0a5.json"
fi

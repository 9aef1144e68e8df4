#!/usr/bin/env bash
# Experiment (issue 11): the prior-residual output (--prior-residual: the output is the prior's colour
# plus the network's correction, in logits) with prior_model.sh's data, split, seed and schedule.
# Trains the full model and the leave-one-set-out-temperate model side by side, one thread each, then
# the leave-one-set-out-desert model, and scores them as prior_model.sh scores its models. (In the
# session that ran it, the desert run was started by hand beside the other two, with --max-minutes 26.)
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR=(--prior --prior-residual --prior-cell 256 --prior-dropout 0.2 --prior-own 0.3 --loss shift_l1_ssim
       --loss-shift 2 --bands VV,VH --seed "$SEED")
OLD=${OLD:-$RUNS/no-prior-model.safetensors}
[[ -f "$OLD" ]] || { mkdir -p "$(dirname "$OLD")"; git show 1050f8a:models/sar_colorizer.safetensors > "$OLD"; }
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
  EV=("$PY" -m sar_colorizer.training.evaluate_priors --old "$OLD" --data "$DATA" --band-roles la-texas-vh=VH --threads 2)
  "${EV[@]}" --new "$RUNS/loso-temperate-residual/model.safetensors" --only 'temperate-pairs/*' \
      --title "prior residual, leave-one-set-out: trained without temperate-pairs, scored on all 15" \
      --json "$RUNS/eval-residual-loso-temperate.json"
  "${EV[@]}" --new "$RUNS/prior-residual/model.safetensors" --only 'india-scenes/scene-3' --only 'desert-patches/*_patch_15' \
      --only 'la-texas-vh/*[05]' --only 'temperate-pairs/finland_000aa810_*' --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*' \
      --title "prior residual, validation parts of every data set" --json "$RUNS/eval-residual-validation.json"
  "${EV[@]}" --new "$RUNS/loso-desert-residual/model.safetensors" --only 'desert-patches/*' \
      --title "prior residual, leave-one-set-out: trained without desert-patches, scored on all 144" \
      --json "$RUNS/eval-residual-loso-desert.json"
fi

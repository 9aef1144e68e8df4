#!/usr/bin/env bash
# Experiment (issue 11): the prior-residual runs of prior_residual_experiment.sh trained longer.
# Each run resumes from that recipe's last checkpoint with a longer schedule (a warm restart of the
# cosine learning rate at the step it stopped): the full model 20 -> 36 epochs, each
# leave-one-set-out model 10 -> 24 epochs. Same data, split, seed and loss. The earlier runs are
# copied first, so their results stay as they were.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR=(--prior --prior-residual --prior-cell 256 --prior-dropout 0.2 --prior-own 0.3 --loss shift_l1_ssim
       --loss-shift 2 --bands VV,VH --seed "$SEED")
OLD=${OLD:-$RUNS/no-prior-model.safetensors}
[[ -f "$OLD" ]] || { mkdir -p "$(dirname "$OLD")"; git show 1050f8a:models/sar_colorizer.safetensors > "$OLD"; }
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
  EV=("$PY" -m sar_colorizer.training.evaluate_priors --old "$OLD" --data "$DATA" --band-roles la-texas-vh=VH --threads 2)
  "${EV[@]}" --new "$RUNS/loso-temperate-residual-24/model.safetensors" --only 'temperate-pairs/*' \
      --title "prior residual, 24 epochs, leave-one-set-out: trained without temperate-pairs, scored on all 15" \
      --json "$RUNS/eval-residual-24-loso-temperate.json"
  "${EV[@]}" --new "$RUNS/prior-residual-36/model.safetensors" --only 'india-scenes/scene-3' --only 'desert-patches/*_patch_15' \
      --only 'la-texas-vh/*[05]' --only 'temperate-pairs/finland_000aa810_*' --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*' \
      --title "prior residual, 36 epochs, validation parts of every data set" --json "$RUNS/eval-residual-36-validation.json"
  "${EV[@]}" --new "$RUNS/loso-desert-residual-24/model.safetensors" --only 'desert-patches/*' \
      --title "prior residual, 24 epochs, leave-one-set-out: trained without desert-patches, scored on all 144" \
      --json "$RUNS/eval-residual-24-loso-desert.json"
fi

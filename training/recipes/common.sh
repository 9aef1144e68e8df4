# Shared by bundled_model.sh and ablations.sh: the data, the split, the seed and the schedule that
# every run compared in MODEL.md must have in common. Sourced, not run.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PY:-.venv/bin/python}
DATA=${DATA:-../shared/data/train}
RUNS=${RUNS:-runs}
SEED=${SEED:-20261125}
EPOCHS=${EPOCHS:-14}
STAGE=${STAGE:-all}
TILE=${TILE:-128}
# EXTRA_DATA: more paired data sets beside DATA (data/bigearthnet: training/recipes/bigearthnet_pairs.py);
# its Irish pairs are its validation part (a country no other pair shows)
EXTRA_DATA=${EXTRA_DATA:-}
EXTRA=()
[[ -z "$EXTRA_DATA" ]] || EXTRA=(--data "$EXTRA_DATA")

RECIPE=(
  --data "$DATA"
  --holdout 'india-scenes/scene-3'                   # validation scene (never trained on)
  --holdout 'desert-patches/*_patch_15'               # one desert location, all 12 months
  --holdout 'la-texas-vh/*[05]'                       # 20 of 100 LA/Texas tiles (names ending 0 or 5)
  --holdout 'temperate-pairs/finland_000aa810_*'      # one Finnish place, 3 months
  --holdout 'temperate-pairs/sen12mscr_ROIs2017_winter_*'  # Aachen/Limburg winter pair
  --band-roles la-texas-vh=VH                         # single-band files default to VV; these are VH
  "${EXTRA[@]}" ${EXTRA_DATA:+--holdout 'bigearthnet/ireland_*'}  # BigEarthNet patches are 120 px: TILE=112
  --epochs "$EPOCHS" --samples-per-epoch 1024 --batch-size 16 --tile "$TILE"
  --lr 2e-3 --aug-shift 2 --band-dropout 0.5 --seed "$SEED"
  --val-tiles-per-pair 2 --threads 1 --device cpu
)

# Issue 11 (colour prior): the prior runs' shared arguments, model (a) and their three evaluations.
PRIOR=(--prior --prior-cell 256 --prior-dropout 0.2 --prior-own 0.3 --loss shift_l1_ssim --loss-shift 2
       --bands VV,VH --seed "$SEED")
VALIDATION=(--only 'india-scenes/scene-3' --only 'desert-patches/*_patch_15' --only 'la-texas-vh/*[05]'
            --only 'temperate-pairs/finland_000aa810_*' --only 'temperate-pairs/sen12mscr_ROIs2017_winter_*'
            ${EXTRA_DATA:+--only 'bigearthnet/ireland_*'})
# (a): the model bundled before the colour prior, taken from the commit that shipped it
OLD=${OLD:-$RUNS/no-prior-model.safetensors}
old_model() { [[ -f "$OLD" ]] || { mkdir -p "$(dirname "$OLD")"; git show 1050f8a:models/sar_colorizer.safetensors > "$OLD"; }; }

# evaluate_priors ARGS...: issue 11's evaluation against model (a), on the shared data (PALETTE_FIT: the
# palette mapping, all or without-place; COARSE_FROM: whose coarse colours the output keeps, default the file's)
evaluate_priors() {
  old_model
  "$PY" -m sar_colorizer.training.evaluate_priors --old "$OLD" --data "$DATA" "${EXTRA[@]}" --band-roles la-texas-vh=VH \
      --threads "${EVAL_THREADS:-2}" --palette-fit "${PALETTE_FIT:-all}" ${COARSE_FROM:+--coarse-from "$COARSE_FROM"} "$@"
}

# score_prior_runs FULL LOSO_TEMPERATE LOSO_DESERT NAME LABEL [GRID_DIR]: the validation parts with the
# full model, all 15 temperate pairs with the model trained without them, all 144 desert pairs with the
# model trained without them, into $RUNS/eval-NAME-{validation,loso-temperate,loso-desert}.json
# (and GRID_DIR/eval-NAME-*.png picture grids when GRID_DIR is given). PARTS: which of the three
# (default all; a model path of a part not scored is not read).
score_prior_runs() {
  local full=$1 temperate=$2 desert=$3 name=$4 label=$5 grids=${6:-}
  local part new only title
  for part in ${PARTS:-validation loso-temperate loso-desert}; do
    case $part in
      validation) new=$full; only=("${VALIDATION[@]}"); title="validation parts of every data set" ;;
      loso-temperate) new=$temperate; only=(--only 'temperate-pairs/*')
        title="leave-one-set-out: trained without temperate-pairs, scored on all 15" ;;
      loso-desert) new=$desert; only=(--only 'desert-patches/*')
        title="leave-one-set-out: trained without desert-patches, scored on all 144" ;;
    esac
    evaluate_priors --new "$new" "${only[@]}" --title "${label:+$label, }$title" --json "$RUNS/eval-$name-$part.json" \
        ${grids:+--grid "$grids/eval-$name-$part.png"}
  done
}

# publish_shipped SRC NAME: SRC published as models/sar_colorizer.safetensors with the evaluations
# $RUNS/eval-NAME-{validation,loso-temperate,loso-desert}.json in its metadata and a colour reference's
# coarse colours kept (MODEL.md), then its ONNX export; TRAIN_COMMIT corrects the recorded training commit
publish_shipped() {
  "$PY" -c "
from sar_colorizer.training.export import publish_model, export_onnx_file
publish_model('$1', 'models/sar_colorizer.safetensors',
              {'validation_all_datasets': '$RUNS/eval-$2-validation.json',
               'leave_one_set_out_temperate': '$RUNS/eval-$2-loso-temperate.json',
               'leave_one_set_out_desert': '$RUNS/eval-$2-loso-desert.json'}, commit='${TRAIN_COMMIT:-}' or None,
              coarse_from=('reference',))
print(export_onnx_file('models/sar_colorizer.safetensors', 'models/sar_colorizer.onnx'))"
}

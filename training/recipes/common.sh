# Shared by bundled_model.sh and ablations.sh: the data, the split, the seed and the schedule that
# every run compared in MODEL.md must have in common. Sourced, not run.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PY:-.venv/bin/python}
DATA=${DATA:-../shared/data/train}
RUNS=${RUNS:-runs}
SEED=${SEED:-20261125}
EPOCHS=${EPOCHS:-14}
STAGE=${STAGE:-all}

RECIPE=(
  --data "$DATA"
  --holdout 'india-scenes/scene-3'                   # validation scene (never trained on)
  --holdout 'desert-patches/*_patch_15'               # one desert location, all 12 months
  --holdout 'la-texas-vh/*[05]'                       # 20 of 100 LA/Texas tiles (names ending 0 or 5)
  --holdout 'temperate-pairs/finland_000aa810_*'      # one Finnish place, 3 months
  --holdout 'temperate-pairs/sen12mscr_ROIs2017_winter_*'  # Aachen/Limburg winter pair
  --band-roles la-texas-vh=VH                         # single-band files default to VV; these are VH
  --epochs "$EPOCHS" --samples-per-epoch 1024 --batch-size 16 --tile 128
  --lr 2e-3 --aug-shift 2 --band-dropout 0.5 --seed "$SEED"
  --val-tiles-per-pair 2 --threads 1 --device cpu
)

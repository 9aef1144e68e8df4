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
#   RESIDUAL=1 bash training/recipes/prior_recolour.sh   # the same with --prior-residual (runs *-residual)
#   ONLY=loso-temperate bash ...                        # one of: full, loso-temperate, loso-desert,
#                                                       # loso-place (trained and scored only on ONLY's part)
#   ONLY=loso-place RESIDUAL=1 [THREADS=2] bash ...     # without one temperate *place* instead of the
#     whole set: the model keeps the one temperate training pair that is not a validation pair
#     (SEN12MS-CR Jiangsu, VV + VH in dB) and is scored on the Finnish place 0060c0a5 (10 months) it
#     never saw. Not one of the default parts. Measured at a9fdbd3 (as training/recipes/leave_out_place.sh,
#     since folded in here): MODEL.md, "Leaving out one temperate place instead of the whole set"
#   ONLY=loso-country COUNTRY=portugal bash ...         # without one BigEarthNet country (EXTRA_DATA=data/bigearthnet;
#     pairs named COUNTRY_*), trained LOSO_EPOCHS and scored on that country's pairs: one more place the model
#     never saw (results/loso-country-2026-12-05/README.md). Not one of the default parts.
#   RESIDUAL=1 STAGE=ship bash training/recipes/prior_recolour.sh  # publish it as models/sar_colorizer.* (measured
#     so on 2026-12-02, then not kept: MODEL.md, "Recoloured training tiles and the prior-residual output")
#   RUNS=runs/hue RESIDUAL=1 bash ...   # at commit 0bc7b42 (the hue-kept palette mapping in
#     palette_calibration.json and models/world_palette.tif): MODEL.md, "A palette mapping that keeps a
#     place's hue"; SEED=20261202 ONLY=loso-temperate RUNS=runs/hue-seed2 for its second run
#   RUNS=runs/land RESIDUAL=1 bash ...  # at commit fbea446: the palette built with
#     --fill-coastal-sea, the same calibration on it (results/land-palette-2026-12-02/README.md)
#   RUNS=runs/levels RESIDUAL=1 SAR_GAMMA=0.5 bash ...  # at commit e5633d8 (fbea446's palette files): the
#     land-palette run with a random power curve on each SAR band's levels (results/levels-2026-12-02/README.md)
#   RUNS=runs/water RESIDUAL=1 WATER_SHARE=0.2 bash ...  # at commit 20f9e3a (fbea446's palette files): the
#     land-palette run with a fifth of the tiles drawn around water (results/water-2026-12-03/README.md)
#   RUNS=runs/water-levels RESIDUAL=1 WATER_SHARE=0.2 SAR_GAMMA=0.5 bash ...  # at commit f20a09c (1210bdb with
#     fbea446's palette files): both changes together (results/water-levels-2026-12-03/README.md)
#   EXTRA_DATA=data/bigearthnet TILE=112 RUNS=runs/bigearthnet RESIDUAL=1 SAR_GAMMA=0.5 bash ...  # branch
#     exp/bigearthnet (14c4852 with fbea446's palette files): the level-curve run with the 107 BigEarthNet
#     pairs (results/bigearthnet-2026-12-04/README.md); without SAR_GAMMA and RUNS=runs/bigearthnet-land:
#     the land run with them (results/bigearthnet-land-2026-12-04/README.md)
#   EXTRA_DATA=data/bigearthnet TILE=112 RUNS=runs/colour-error RESIDUAL=1 bash ...  # at commit 4054936 (fbea446's
#     palette files, palette_calibration.json rewritten with --extra-places data/bigearthnet): THE SHIPPED MODEL
#     since 2026-12-04 (results/colour-error-2026-12-04/README.md; MODEL.md, "The shipped model"), published with
#     STAGE=ship TRAIN_COMMIT=4054936 and the same variables
#   GROUP_POWER=0.5 RUNS=runs/group-power ...  # with the shipped run's variables, at 52f02ff: each place group
#     (BigEarthNet's country) by its area ** 0.5; measured, not shipped (results/group-power-2026-12-04/README.md)
#   MAIN_EPOCHS=40 MAIN_MINUTES=90 LOSO_EPOCHS=20 LOSO_MINUTES=45 RUNS=runs/long ...  # with the shipped run's
#     variables, at 7f69789: twice the epochs; measured, not shipped (results/long-2026-12-04/README.md)
#   SEED=20261204 RUNS=runs/seed2 ...  # with the shipped run's variables, at 6758d25: the shipped recipe's
#     second seed, information only (results/seed2-2026-12-04/README.md)
#   MAIN_EPOCHS=40 MAIN_MINUTES=90 LOSO_EPOCHS=20 LOSO_MINUTES=45 RUNS=runs/sea ...  # with the shipped run's variables,
#     branch exp/sea at 72e5838: the palette rebuilt with build_world_palette.py --sea-colour 5.8,13.5,15.9;
#     measured, not shipped (results/sea-2026-12-04/README.md)
#   SEED=20261205 RUNS=runs/long-seed3 with the 40-epoch variables ...  # branch exp/long-seed3 at 9e6f0cd: a third
#     seed of the 40-epoch run, rules with (e=) written before it (results/long-seed3-2026-12-04/README.md)
#   RUNS=runs/restart with the 40-epoch variables ...  # branch exp/restart at 83beb28: runs/colour-error's three
#     folders copied to runs/restart first, so each resumes from its checkpoint on a 40-epoch schedule (a warm
#     restart); measured, not shipped (results/restart-2026-12-04/README.md)
#   SEED=20261206 RUNS=runs/long-seed4 with the 40-epoch variables, then the full model alone again with
#     MAIN_EPOCHS=48 MAIN_MINUTES=100 ONLY=full STAGE=train ...  # at e5dd858: a fourth seed, rule 4 against the
#     recipe's measured seed spread; measured, not shipped (results/long-seed4-2026-12-04/README.md)
#   SEED=20261206 AVERAGE_FROM=0.5 RUNS=runs/averaged with long-seed4's variables (MAIN_EPOCHS=48 ...)  # the
#     fourth seed's training again, its weights averaged over the second half of the steps
#     (results/averaged-2026-12-04/README.md); SEED=20261125 RUNS=runs/averaged-seed1 with the same variables: the
#     shipped seed so (results/averaged-seed1-2026-12-04/README.md); both measured, not shipped
#   SEED=20261125 AVERAGE_FROM=0.5 EXTRA_DATA=data/bigearthnet TILE=112 RESIDUAL=1 RUNS=runs/loso-long LOSO_EPOCHS=48
#     LOSO_MINUTES=120 ONLY=loso-country COUNTRY=portugal|lithuania, and ONLY=loso-temperate (LOSO_MINUTES=150)  # at
#     aa54ce7: the averaged 48-epoch recipe's leave-out models, against the 20-epoch ones; information only
#     (results/loso-long-2026-12-05/README.md)
#   WATER_SHARE=0.2 RUNS=runs/water-ben with the shipped run's variables  # at 59f456f: the shipped recipe with water
#     tiles; it draws the demo's sea and falls under the recipe's seed floor; measured, not shipped
#     (results/water-bigearthnet-2026-12-05/README.md)
#   RUNS=runs/tile RESIDUAL=1 bash ...  # at commit 469ab58, whose
#     palette_calibration.json (written with --form hue-kept --tile-gains) also takes each LA/Texas tile's
#     stretch out of its targets: MODEL.md, "LA/Texas targets rebalanced per tile"
# A run whose folder holds a checkpoint resumes from it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
PRIOR+=(--prior-recolour 0.5 --prior-recolour-sigma 0.5)
NAME=recolour LABEL="recoloured tiles"
if [[ "${RESIDUAL:-0}" == 1 ]]; then PRIOR+=(--prior-residual); NAME=recolour-residual LABEL="recoloured tiles, prior residual"; fi
if [[ -n "${SAR_GAMMA:-}" ]]; then PRIOR+=(--aug-sar-gamma "$SAR_GAMMA"); fi  # training/augment.jitter_sar_levels
if [[ -n "${SET_POWER:-}" ]]; then PRIOR+=(--set-power "$SET_POWER"); fi  # training/datasets.set_shares
if [[ -n "${WATER_SHARE:-}" ]]; then PRIOR+=(--water-share "$WATER_SHARE"); fi  # training/datasets.water_pixels
if [[ -n "${GROUP_POWER:-}" ]]; then PRIOR+=(--group-power "$GROUP_POWER"); fi  # training/datasets.pair_weights
if [[ -n "${AVERAGE_FROM:-}" ]]; then PRIOR+=(--average-from "$AVERAGE_FROM"); fi  # trainer.weight_average_of
ONLY=${ONLY:-}
MAIN_EPOCHS=${MAIN_EPOCHS:-20}
LOSO_EPOCHS=${LOSO_EPOCHS:-10}
MAIN_MINUTES=${MAIN_MINUTES:-70}
LOSO_MINUTES=${LOSO_MINUTES:-35}
PLACE='temperate-pairs/finland_0060c0a5_*'  # the loso-place part's place
COUNTRY=${COUNTRY:-portugal}  # the loso-country part's BigEarthNet country
resume() { [[ -f "$RUNS/$1/model.run/checkpoint.pt" ]] && echo --resume || true; }

# train_run PART: full (all but the validation parts), loso-temperate, loso-desert, loso-place or loso-country
train_run() {
  local part=$1 out=$NAME epochs=$MAIN_EPOCHS minutes=$MAIN_MINUTES loso_minutes=$LOSO_MINUTES exclude=()
  [[ -z "$ONLY" || "$ONLY" == "$part" ]] || return 0
  case $part in
    loso-temperate) out=loso-temperate-$NAME; exclude=(--exclude 'temperate-pairs/*') ;;
    loso-desert) out=loso-desert-$NAME; exclude=(--exclude 'desert-patches/*') ;;
    loso-place) out=loso-place-0060c0a5-$NAME; exclude=(--exclude "$PLACE"); loso_minutes=45 ;;
    loso-country) out=loso-country-$COUNTRY-$NAME; exclude=(--exclude "bigearthnet/${COUNTRY}_*") ;;
  esac
  [[ $part == full ]] || { epochs=$LOSO_EPOCHS; minutes=$loso_minutes; }
  "$PY" -m sar_colorizer.training.cli train "${RECIPE[@]}" "${PRIOR[@]}" --epochs "$epochs" --max-minutes "$minutes" \
      --threads "${THREADS:-1}" "${exclude[@]}" $(resume "$out") --out "$RUNS/$out/model.safetensors" \
      --name "sar-colorizer-$out" \
      --description "Robust U-Net conditioned on a colour prior of the place, trained with recoloured tiles" \
      >> "$RUNS/$out.log" 2>&1
}

if [[ "$STAGE" == all || "$STAGE" == train ]]; then
  mkdir -p "$RUNS"
  if [[ "$ONLY" == loso-place || "$ONLY" == loso-country ]]; then
    train_run "$ONLY"
  else
    train_run full &
    A=$!
    ( train_run loso-temperate; train_run loso-desert ) &
    B=$!
    wait $A; wait $B
  fi
fi

if [[ "$STAGE" == all || "$STAGE" == eval ]]; then
  export PALETTE_FIT=without-place COARSE_FROM=reference
  case $ONLY in
    loso-place) evaluate_priors --new "$RUNS/loso-place-0060c0a5-$NAME/model.safetensors" --only "$PLACE" \
        --title "trained without the Finnish place 0060c0a5 (one temperate pair kept), scored on its 10 months" \
        --json "$RUNS/eval-loso-place-0060c0a5.json" ;;
    loso-country) evaluate_priors --new "$RUNS/loso-country-$COUNTRY-$NAME/model.safetensors" \
        --only "bigearthnet/${COUNTRY}_*" --title "${LABEL}, trained without the BigEarthNet pairs of $COUNTRY, scored on them" \
        --json "$RUNS/eval-$NAME-loso-country-$COUNTRY.json" ;;
    *) PARTS=${ONLY:+${ONLY/#full/validation}} score_prior_runs "$RUNS/$NAME/model.safetensors" \
        "$RUNS/loso-temperate-$NAME/model.safetensors" "$RUNS/loso-desert-$NAME/model.safetensors" "$NAME" "$LABEL" ;;
  esac
fi

if [[ "$STAGE" == ship ]]; then
  # ship: the full model with the three evaluations in its metadata, a reference's coarse colours kept
  # (the leave-out desert needs it: MODEL.md), then the ONNX export
  publish_shipped "$RUNS/$NAME/model.safetensors" "$NAME"
fi

"""Command lines ``sar-colorizer-train`` and ``sar-colorizer-eval`` (also ``python -m sar_colorizer.training.cli``).

Multi-GPU / multi-node: ``torchrun --nproc_per_node=N -m sar_colorizer.training.cli train ...``
(or ``torchrun --nproc_per_node=N $(which sar-colorizer-train) ...``); DDP starts from torchrun's
environment variables.
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from ..core.errors import SarColorizerError


def _bands(text: str) -> tuple[str, ...]:
    bands = tuple(b.strip().upper() for b in text.split(",") if b.strip())
    if not bands or any(b not in ("VV", "VH") for b in bands) or len(set(bands)) != len(bands):
        raise argparse.ArgumentTypeError(f"bands must be VV, VH or VV,VH (got {text!r})")
    return bands


def train_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sar-colorizer-train",
                                description="Train the SAR Colorizer robust U-Net on paired SAR/optical data "
                                            "and write a model file that sar-colorize and QGIS run.")
    p.add_argument("--data", action="append", required=True, metavar="DIR",
                   help="training data: an s1/+s2/ folder, a folder of scene-*/ (sar.*, optical.*), or a folder "
                        "of such data sets; repeat for several")
    p.add_argument("--val", action="append", default=[], metavar="DIR", help="validation-only data (repeatable)")
    p.add_argument("--holdout", action="append", default=[], metavar="GLOB",
                   help="move pairs named like GLOB ('<dataset>/<file stem or scene>') from --data to validation, "
                        "e.g. 'india-scenes/scene-3' (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave pairs named like GLOB out entirely, e.g. 'la-texas-vh/*' for a VV-only model")
    p.add_argument("--band-roles", action="append", default=[], metavar="DATASET=BANDS",
                   help="polarisation of a data set's SAR bands, e.g. la-texas-vh=VH (default: 1 band VV, "
                        "2 bands VV,VH)")
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.safetensors)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--samples-per-epoch", type=int, default=2048, help="training tiles per epoch (all ranks)")
    p.add_argument("--batch-size", type=int, default=16, help="tiles per step and rank")
    p.add_argument("--tile", type=int, default=128, help="training tile size in px")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--loss", choices=("mse", "shift_mse", "shift_l1_ssim"), default="shift_mse",
                   help="shift_mse: per tile the best MSE over target shifts of up to --loss-shift px; "
                        "shift_l1_ssim: the same with MSE + 0.5 L1, plus 0.2 x (1 - SSIM)")
    p.add_argument("--loss-shift", type=int, default=2)
    p.add_argument("--no-align", action="store_true", help="plain U-Net (no skip re-alignment): the baseline")
    p.add_argument("--base-channels", type=int, default=16)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--bands", type=_bands, default=("VV", "VH"), help="model input bands: VV, VH or VV,VH")
    p.add_argument("--no-availability-channels", action="store_true",
                   help="require every band at inference instead of accepting any subset")
    p.add_argument("--prior", action="store_true",
                   help="condition the model on a colour prior of the place (R, G, B, present channels): "
                        "other dates of the place, the world palette, or the tile's own optical with a colour error")
    p.add_argument("--prior-residual", action="store_true",
                   help="with --prior: the output is the prior's colour plus the network's correction (in logits)")
    p.add_argument("--prior-keep-coarse", action="store_true",
                   help="with --prior: train (and ship) the output with the prior's coarse colours kept, the network "
                        "adding only finer structure (core/coarse_colours.py); for the world palette and references")
    p.add_argument("--prior-coarse-sigma", type=float, default=64.0,
                   help="with --prior-keep-coarse: the Gaussian scale in px above which colours are the prior's")
    p.add_argument("--prior-recolour", type=float, default=0.0,
                   help="with --prior: share of the tiles with a prior whose target and prior get one random colour "
                        "gain, so that the colour can only come from the prior (training/priors.recolour_tile)")
    p.add_argument("--prior-recolour-sigma", type=float, default=0.5,
                   help="with --prior-recolour: the log-gain std per channel")
    p.add_argument("--prior-cell", type=int, default=256, help="prior cell size in px (its coarseness)")
    p.add_argument("--prior-dropout", type=float, default=0.2, help="share of tiles with no prior")
    p.add_argument("--prior-own", type=float, default=0.3,
                   help="share of tiles whose prior is their own optical with a measured colour error")
    p.add_argument("--aug-shift", type=int, default=2, help="random SAR/optical offset in px (augmentation)")
    p.add_argument("--band-dropout", type=float, default=0.5)
    p.add_argument("--aug-sar-gamma", type=float, default=0.0,
                   help="std of log(gamma) of a random power curve on each SAR band's normalised levels, so that "
                        "the shape of the levels does not tell one training set from another (0: off)")
    p.add_argument("--set-power", type=float, default=0.0,
                   help="each data set's share of the training tiles goes with its pixel count to this power: "
                        "0 every set alike (default), 1 every pixel alike")
    p.add_argument("--water-share", type=float, default=0.0,
                   help="share of the training tiles drawn around water (radar and optical dark over 15 px), "
                        "which is rare in the data (0: off)")
    p.add_argument("--group-power", type=float, default=1.0,
                   help="within a data set, each place group's (its name's first word: BigEarthNet's country) "
                        "share of the tiles goes with its area to this power: 1 every pixel alike (default), "
                        "0 every group alike")
    p.add_argument("--average-from", type=float, default=0.0, metavar="SHARE",
                   help="average the weights (and BatchNorm statistics) of every step after this share of the "
                        "steps, and write that average as the model: a flatter minimum, for places the model never "
                        "saw (0: off, the last step's weights)")
    p.add_argument("--no-flips", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    p.add_argument("--val-tiles-per-pair", type=int, default=4)
    p.add_argument("--run-dir", default=None, help="checkpoints and log (default: MODEL with suffix .run)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --run-dir")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after the epoch that crosses this wall-clock budget")
    p.add_argument("--onnx", default=None, metavar="PATH", help="also export the trained model to ONNX")
    p.add_argument("--name", default="sar-colorizer")
    p.add_argument("--description", default="")
    return p


def train_main(argv: Optional[Sequence[str]] = None) -> int:
    args = train_parser().parse_args(argv)
    from .loop.trainer import TrainConfig, train

    cfg = TrainConfig(
        data=args.data, val=args.val, holdout=args.holdout, exclude=args.exclude, band_roles=args.band_roles,
        out=args.out,
        epochs=args.epochs, samples_per_epoch=args.samples_per_epoch, batch_size=args.batch_size, tile=args.tile,
        lr=args.lr, loss=args.loss, loss_shift=args.loss_shift, align=not args.no_align,
        base_channels=args.base_channels, depth=args.depth, bands=args.bands,
        availability_channels=not args.no_availability_channels, aug_shift=args.aug_shift,
        band_dropout=args.band_dropout, aug_sar_gamma=args.aug_sar_gamma, set_power=args.set_power,
        water_share=args.water_share, group_power=args.group_power, flips=not args.no_flips,
        seed=args.seed, device=args.device,
        amp=not args.no_amp, workers=args.workers, threads=args.threads,
        val_tiles_per_pair=args.val_tiles_per_pair, run_dir=args.run_dir, resume=args.resume,
        max_minutes=args.max_minutes, name=args.name, description=args.description,
        prior=args.prior, prior_cell=args.prior_cell, prior_dropout=args.prior_dropout, prior_own=args.prior_own,
        prior_residual=args.prior_residual, prior_keep_coarse=args.prior_keep_coarse,
        prior_coarse_sigma=args.prior_coarse_sigma, prior_recolour=args.prior_recolour,
        prior_recolour_sigma=args.prior_recolour_sigma, average_from=args.average_from,
    )
    try:
        result = train(cfg)
        if args.onnx:
            from .export import export_onnx_file
            print(f"wrote {export_onnx_file(result.model_path, args.onnx)}")
    except (SarColorizerError, RuntimeError) as exc:
        print(f"sar-colorizer-train: error: {exc}", file=sys.stderr)
        return 1
    return 0


def eval_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sar-colorizer-eval",
                                description="PSNR, SSIM and MAE of a model file on paired SAR/optical data "
                                            "(tiled without overlap), plus a SAR | predicted | optical PNG grid.")
    p.add_argument("--model", action="append", required=True, metavar="MODEL",
                   help="model file (.safetensors); repeat to compare several (the first draws the grid)")
    p.add_argument("--data", action="append", required=True, metavar="DIR", help="paired data (repeatable)")
    p.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="evaluate only pairs named like GLOB ('<dataset>/<name>'), e.g. 'india-scenes/scene-3'")
    p.add_argument("--band-roles", action="append", default=[], metavar="DATASET=BANDS")
    p.add_argument("--drop-band", choices=("VV", "VH"), default=None,
                   help="hide this band from the model (e.g. measure a dual-pol model on VV only)")
    p.add_argument("--baselines", action="store_true",
                   help="also score a constant mean colour and the SAR grey copied into R,G,B")
    p.add_argument("--shifts", type=int, nargs="*", default=[],
                   help="also score against the optical shifted by these px (misregistration)")
    p.add_argument("--grid", default="eval-grid.png", metavar="PNG", help="picture grid to write ('' for none)")
    p.add_argument("--grid-tiles", type=int, default=6)
    p.add_argument("--json", default=None, metavar="PATH", help="write all numbers as JSON")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=None)
    return p


def eval_main(argv: Optional[Sequence[str]] = None) -> int:
    args = eval_parser().parse_args(argv)
    from .evaluate import EvalConfig, run_evaluation

    cfg = EvalConfig(models=args.model, data=args.data, only=args.only, band_roles=args.band_roles,
                     drop_band=args.drop_band, baselines=args.baselines, shifts=args.shifts,
                     grid=args.grid or None, grid_tiles=args.grid_tiles, json_path=args.json,
                     device=args.device, threads=args.threads)
    try:
        run_evaluation(cfg)
    except SarColorizerError as exc:
        print(f"sar-colorizer-eval: error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m sar_colorizer.training.cli train|eval ...`` (torchrun needs a module or script)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "eval"):
        print("usage: python -m sar_colorizer.training.cli {train|eval} ...", file=sys.stderr)
        return 2
    return train_main(argv[1:]) if argv[0] == "train" else eval_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())

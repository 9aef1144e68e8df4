"""Train a RobustUNet on paired SAR / optical data and write the model file core runs.

One process on CPU or CUDA (mixed precision on CUDA), or one rank of a ``torchrun`` job (DDP).
Every epoch: balanced random tiles (each data set equally likely), a validation pass on held-out
pairs of every data set (per-data-set PSNR / SSIM / MAE / mean colour error), a checkpoint for
``--resume`` and the current model file. Deterministic for a given seed: the tile of sample i in
epoch e depends only on (seed, e, i), and the torch RNG is re-seeded from (seed, epoch).
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ...core.model import ArchitectureConfig, RobustUNet
from ...core.modelfile import (PRIOR_KINDS, InputSpec, ModelMetadata, Normalisation, OutputSpec, PriorSpec, TileSpec,
                               save_model_file)
from ...core.prior import COLOUR_CONVENTION
from ..priors import PriorConfig
from ..augment import AugmentConfig
from ..datasets import (TARGET_STRETCH, WATER_WINDOW, BandRoles, PairedImage, RandomTileDataset, Sentinel12Dataset,
                        describe, discover, load_sources, mean_target_colour, split_sources)
from ..ddp import all_reduce_mean, barrier, init_distributed, shutdown
from ..losses import make_loss
from ..metrics import all_metrics

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TrainConfig:
    data: list[str]
    out: str
    val: list[str] = field(default_factory=list)          # extra validation-only folders
    holdout: list[str] = field(default_factory=list)      # glob patterns on "<dataset>/<name>" moved to validation
    exclude: list[str] = field(default_factory=list)      # glob patterns of pairs not used at all
    band_roles: list[str] = field(default_factory=list)   # "DATASET=VH" etc.
    epochs: int = 10
    samples_per_epoch: int = 2048
    batch_size: int = 16
    tile: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    loss: str = "shift_mse"
    loss_shift: int = 2
    align: bool = True
    base_channels: int = 16
    depth: int = 4
    bands: tuple[str, ...] = ("VV", "VH")
    availability_channels: bool = True
    aug_shift: int = 2
    band_dropout: float = 0.5
    aug_sar_gamma: float = 0.0        # augment.jitter_sar_levels
    set_power: float = 0.0            # data sets' shares of the tiles ~ pixel count ** this (datasets.set_shares)
    water_share: float = 0.0          # share of the tiles drawn around water pixels (datasets.water_pixels)
    group_power: float = 1.0          # place groups' shares within a data set ~ area ** this (datasets.pair_weights)
    flips: bool = True
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    workers: int = 0
    threads: Optional[int] = None
    val_tile: int = 256
    val_tiles_per_pair: int = 4
    infer_tile: int = 256
    infer_overlap: int = 64
    run_dir: Optional[str] = None     # checkpoints + log; default: <out without suffix>.run/
    resume: bool = False
    max_minutes: Optional[float] = None  # stop after the epoch that crosses this wall-clock budget
    name: str = "sar-colorizer"
    description: str = ""
    prior: bool = False               # colour prior channels (training/priors.py)
    prior_cell: int = 256
    prior_dropout: float = 0.2
    prior_own: float = 0.3
    prior_residual: bool = False       # output = prior colour (logits) + the network's correction
    prior_keep_coarse: bool = False    # trained as run: the output keeps the prior's coarse colours
    prior_coarse_sigma: float = 64.0   # (core/coarse_colours.py; for the world palette and references)
    prior_recolour: float = 0.0        # share of tiles with a prior recoloured with it (priors.recolour_tile)
    prior_recolour_sigma: float = 0.5
    # 0: off; else the share of the steps after which the weights are averaged at every step (equal weights,
    # BatchNorm statistics included) and the model file holds that average: a flatter minimum, which is what
    # generalises to unseen domains (dense weight averaging, SWAD) and what one seed's last step is not
    average_from: float = 0.0

    @property
    def run_path(self) -> Path:
        return Path(self.run_dir) if self.run_dir else Path(self.out).with_suffix(".run")

    def input_spec(self) -> InputSpec:
        prior = PriorSpec(cell_px=self.prior_cell, convention=COLOUR_CONVENTION,
                          coarse_from=PRIOR_KINDS if self.prior_keep_coarse else (),
                          coarse_sigma_px=self.prior_coarse_sigma) if self.prior else None
        return InputSpec(bands=tuple(self.bands), availability_channels=self.availability_channels,
                         units="dB", normalisation=Normalisation(), prior=prior)

    def augment_config(self) -> AugmentConfig:
        return AugmentConfig(flips=self.flips, max_shift=self.aug_shift, band_dropout=self.band_dropout,
                             sar_gamma=self.aug_sar_gamma)

    def prior_config(self) -> PriorConfig:
        return PriorConfig.measured(dropout=self.prior_dropout, own_fraction=self.prior_own,
                                    recolour=self.prior_recolour, recolour_sigma=self.prior_recolour_sigma)

    def architecture(self) -> ArchitectureConfig:
        return ArchitectureConfig(in_channels=self.input_spec().channels, base_channels=self.base_channels,
                                  depth=self.depth, align=self.align, prior_residual=self.prior and self.prior_residual)


@dataclass
class TrainResult:
    model_path: Path
    history: list[dict]
    epochs_done: int
    steps: int


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "training", "core"],
                               cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def pick_device(name: str):
    import torch
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for but CUDA is not available")
    return torch.device(name)


def load_data(cfg: TrainConfig, log=print) -> tuple[list[PairedImage], list[PairedImage]]:
    spec = cfg.input_spec()
    roles = BandRoles.parse(cfg.band_roles)
    train_src, val_src = [], []
    for root in cfg.data:
        used, _excluded = split_sources(discover(Path(root)), cfg.exclude)
        t, v = split_sources(used, cfg.holdout)
        train_src += t
        val_src += v
    for root in cfg.val:
        val_src += discover(Path(root))
    if not train_src:
        raise RuntimeError("no training pairs left after --holdout")
    log(f"loading {len(train_src)} training and {len(val_src)} validation pairs")
    train_pairs, val_pairs = load_sources(train_src, spec, roles), load_sources(val_src, spec, roles)
    for p in train_pairs + val_pairs:
        if not set(p.bands) & set(spec.bands):
            raise RuntimeError(f"{p.name}: has band(s) {', '.join(p.bands)} but the model reads "
                               f"{', '.join(spec.bands)}; leave it out with --exclude or fix --band-roles")
        if not spec.availability_channels and not set(spec.bands) <= set(p.bands):
            raise RuntimeError(f"{p.name}: lacks {', '.join(sorted(set(spec.bands) - set(p.bands)))}, which the "
                               "model requires (no availability channels); leave it out with --exclude")
    return train_pairs, val_pairs


def kept_colours(pred, x, sigma_px: Optional[float]):
    """The network's output as the model file's inference runs it: with ``sigma_px``, the prior's
    coarse colours kept (the inputs' last 4 channels; training/kept_colours.py)."""
    if sigma_px is None:
        return pred
    from ..kept_colours import keep_coarse_colours

    return keep_coarse_colours(pred, x[:, -4:], sigma_px)


def validate(model, val: Sentinel12Dataset, device, batch_size: int = 8,
             sigma_px: Optional[float] = None) -> dict[str, dict[str, float]]:
    """Metrics per data set (mean over tiles) and overall (mean over data sets)."""
    import torch

    model.eval()
    per: dict[str, list[dict]] = {}
    with torch.inference_mode():
        by_shape: dict[tuple, list[int]] = {}  # a batch stacks tiles of one size (a pair smaller than the tile)
        for i in range(len(val)):
            by_shape.setdefault(tuple(val.valid(i).shape), []).append(i)
        batches = [same[s:s + batch_size] for same in by_shape.values() for s in range(0, len(same), batch_size)]
        for idx in batches:
            items = [val[i] for i in idx]
            x = torch.stack([it[0] for it in items]).to(device)
            pred = kept_colours(model(x), x, sigma_px).float().cpu()
            for k, i in enumerate(idx):
                per.setdefault(val.dataset_of(i), []).append(all_metrics(pred[k], items[k][1]))
    model.train()
    out = {ds: {m: float(np.mean([r[m] for r in rows])) for m in rows[0]} for ds, rows in sorted(per.items())}
    if out:
        out["mean_over_datasets"] = {m: float(np.mean([v[m] for v in out.values()])) for m in next(iter(out.values()))}
    return out


def sampling_note(cfg: TrainConfig) -> str:
    sets = ("each data set equally likely per tile" if cfg.set_power == 0 else
            f"each data set by its pixel count ** {cfg.set_power:g}")
    water = (f"; {cfg.water_share:g} of the tiles around a water pixel (radar and optical dark over {WATER_WINDOW} "
             "px) drawn uniformly from all pairs" if cfg.water_share > 0 else "")
    within = ("by pixel area" if cfg.group_power == 1 else
              f"by pixel area, each place group (datasets.place_group) by its area ** {cfg.group_power:g}")
    return f"{sets}; within a data set {within}{water}"


def training_segments(segments: list[dict], commit: str, start_epoch: int, epochs_done: int) -> list[dict]:
    """Which code trained which epochs: a resumed run adds a segment to those of its checkpoint, so the
    model file names every commit it was trained at (a checkpoint written before segments were kept
    gives one segment of unknown commit)."""
    done = segments or ([{"commit": None, "from_epoch": 0, "to_epoch": start_epoch}] if start_epoch else [])
    if epochs_done <= start_epoch:
        return list(done)
    return [*done, {"commit": commit, "from_epoch": start_epoch, "to_epoch": epochs_done}]


def build_metadata(cfg: TrainConfig, train_pairs: Sequence[PairedImage], val_pairs: Sequence[PairedImage],
                   epochs_done: int, steps: int, seconds: float, metrics: dict, commit: str,
                   history: Sequence[dict] = (), segments: Sequence[dict] = (),
                   weight_average: Optional[dict] = None) -> ModelMetadata:
    return ModelMetadata(
        architecture=cfg.architecture(),
        inputs=cfg.input_spec(),
        output=OutputSpec(scale=255.0, offset=0.0, target_stretch=TARGET_STRETCH),
        tile=TileSpec(size=cfg.infer_tile, overlap=cfg.infer_overlap),
        name=cfg.name,
        description=cfg.description,
        training={
            "data": describe(train_pairs),
            "validation": sorted(p.name for p in val_pairs),
            "holdout_patterns": list(cfg.holdout),
            "epochs": epochs_done,
            "steps": steps,
            "seed": cfg.seed,
            "loss": cfg.loss if cfg.loss != "shift_mse" else f"shift_mse(max_shift={cfg.loss_shift})",
            "tile": cfg.tile,
            "batch_size": cfg.batch_size,
            "samples_per_epoch": cfg.samples_per_epoch,
            "augmentation": asdict(cfg.augment_config()),
            "prior": ({**asdict(cfg.prior_config()), "sources": "other dates of the place where the data has them, "
                       "else the world palette at the place (georeferenced or approximately placed pairs); "
                       "own_fraction of tiles: the tile's own optical x exp(N(0, error_sigma)) per channel; "
                       "dropout: no prior"} if cfg.prior else None),
            "sampling": sampling_note(cfg),
            "target_mean_rgb": mean_target_colour(train_pairs),
            "commit": commit,
            "seconds": round(seconds, 1),
            # every epoch's training time, across resumes ("seconds" is this process's wall clock only)
            "epoch_seconds": round(sum(float(h.get("epoch_seconds", 0.0)) for h in history), 1),
            "segments": list(segments),
            "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
            **({"weight_average": dict(weight_average)} if weight_average else {}),
        },
        metrics={"validation": metrics},
    )


def weight_average_of(model, average_from: float):
    """An equal-weight running average of the model's weights and BatchNorm statistics, or None when off."""
    if not 0.0 <= average_from < 1.0:
        raise ValueError(f"average_from must be in [0, 1), got {average_from}")
    if average_from == 0.0:
        return None
    from torch.optim.swa_utils import AveragedModel
    return AveragedModel(model, use_buffers=True)


def train(cfg: TrainConfig, log=print) -> TrainResult:
    import torch
    from torch.utils.data import DataLoader

    device = pick_device(cfg.device)
    ctx = init_distributed(device.type)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    say = log if ctx.is_main else (lambda *_: None)
    t_start = time.time()
    commit = git_commit()  # the code this run started from (HEAD may move while it trains)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.use_deterministic_algorithms(device.type == "cpu", warn_only=True)

    train_pairs, val_pairs = load_data(cfg, say)
    say("training data: " + json.dumps(describe(train_pairs)))
    spec = cfg.input_spec()
    aug = cfg.augment_config()
    train_set = RandomTileDataset(train_pairs, spec, cfg.tile, cfg.samples_per_epoch, seed=cfg.seed, augment=aug,
                                  prior=cfg.prior_config(), set_power=cfg.set_power,
                                  water_share=cfg.water_share, group_power=cfg.group_power)
    say("data sets' shares of the training tiles: " + ", ".join(
        f"{n} {s:.3f}" for n, s in zip(train_set.group_names, train_set.set_shares)))
    if train_set.water:
        wet = [(p.name, len(w) / (p.shape[0] * p.shape[1])) for p, w in train_set.water]
        say(f"water tiles: {cfg.water_share:.2f} of the tiles, around the water of {len(wet)} pairs; with 1 % or more: "
            + ", ".join(f"{n} {f:.3f}" for n, f in wet if f >= 0.01))
    if spec.prior is not None:
        for p in train_pairs + val_pairs:
            pr = p.priors
            say(f"    prior of {p.name}: {len(pr.other_dates)} other date(s), "
                f"palette {'by ' + pr.placed_by if pr.palette is not None else 'none'}")
    val_set = Sentinel12Dataset(spec=spec, tile=cfg.val_tile, pairs=val_pairs,
                                max_tiles_per_pair=cfg.val_tiles_per_pair) if val_pairs else None

    model = RobustUNet(cfg.architecture()).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(cfg.samples_per_epoch / (cfg.batch_size * ctx.world_size))
    total_steps = steps_per_epoch * cfg.epochs
    warmup = min(100, max(1, total_steps // 20))
    def lr_factor(s: int) -> float:  # linear warm-up, then cosine decay to 0 at the last step
        return min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, total_steps))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    averaged = weight_average_of(model, cfg.average_from)
    average_after = round(cfg.average_from * total_steps)  # steps before the average starts
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    loss_fn = make_loss(cfg.loss, cfg.loss_shift)
    sigma_px = cfg.prior_coarse_sigma if cfg.prior and cfg.prior_keep_coarse else None

    run = cfg.run_path
    ckpt_path = run / "checkpoint.pt"
    history: list[dict] = []
    done_segments: list[dict] = []
    start_epoch, step = 0, 0
    if cfg.resume:
        if not ckpt_path.is_file():
            raise RuntimeError(f"--resume: no checkpoint at {ckpt_path}")
        state = torch.load(ckpt_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, step = int(state["epoch"]), int(state["step"])
        if averaged is not None and "averaged" in state:
            averaged.load_state_dict(state["averaged"])
        for group, base in zip(opt.param_groups, sched.base_lrs):  # this run's schedule (--epochs may differ)
            group["lr"] = base * lr_factor(step)
        history = json.loads(state["history"])
        done_segments = json.loads(state.get("segments", "[]"))
        say(f"resumed from {ckpt_path}: {start_epoch} epoch(s), {step} step(s) done")
    if ctx.is_main:
        run.mkdir(parents=True, exist_ok=True)

    net = model
    if ctx.enabled:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[ctx.local_rank] if device.type == "cuda" else None)
    sampler = None
    if ctx.enabled:
        from torch.utils.data.distributed import DistributedSampler
        sampler = DistributedSampler(train_set, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=False)
    loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=False, sampler=sampler,
                        num_workers=cfg.workers, drop_last=False, pin_memory=device.type == "cuda",
                        persistent_workers=False)

    metrics: dict = history[-1]["validation"] if history else {}
    epoch = start_epoch
    for epoch in range(start_epoch, cfg.epochs):
        train_set.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        torch.manual_seed(cfg.seed * 1000 + epoch)
        net.train()
        losses = []
        t0 = time.time()
        bar = loader
        if ctx.is_main:
            from tqdm import tqdm
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False,
                       mininterval=5.0, file=sys.stderr)
        for x, y, v in bar:
            x, y, v = x.to(device), y.to(device), v.to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                pred = kept_colours(net(x), x, sigma_px)
            loss = loss_fn(pred.float(), y, v)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            step += 1
            if averaged is not None and step > average_after:
                averaged.update_parameters(model)
            losses.append(float(loss.detach()))
            if ctx.is_main and hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        train_loss = all_reduce_mean(float(np.mean(losses)) if losses else float("nan"), ctx,
                                     device if device.type == "cuda" else None)
        if ctx.is_main:
            metrics = validate(model, val_set, device, sigma_px=sigma_px) if val_set is not None else {}
            row = {"epoch": epoch + 1, "step": step, "train_loss": train_loss, "lr": sched.get_last_lr()[0],
                   "epoch_seconds": round(time.time() - t0, 1), "validation": metrics}
            history.append(row)
            mean = metrics.get("mean_over_datasets", {})
            say(f"epoch {epoch + 1}/{cfg.epochs} step {step} loss {train_loss:.5f} "
                + (f"val PSNR {mean['psnr']:.2f} dB SSIM {mean['ssim']:.4f} MAE {mean['mae']:.4f} "
                   f"colour err {mean['colour_error']:.1f}" if mean else "(no validation data)")
                + f" [{row['epoch_seconds']:.0f} s]")
            for ds, m in metrics.items():
                if ds != "mean_over_datasets":
                    say(f"    {ds:24s} PSNR {m['psnr']:6.2f}  SSIM {m['ssim']:.4f}  MAE {m['mae']:.4f}  "
                        f"colour err {m['colour_error']:5.1f}")
            with open(run / "log.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            tmp = run / "checkpoint.pt.partial"
            segments = training_segments(done_segments, commit, start_epoch, epoch + 1)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "scaler": scaler.state_dict(), "epoch": epoch + 1, "step": step,
                        "history": json.dumps(history),
                        "segments": json.dumps(segments),
                        **({"averaged": averaged.state_dict()} if averaged is not None else {})}, tmp)
            tmp.replace(ckpt_path)
            meta = build_metadata(cfg, train_pairs, val_pairs, epoch + 1, step, time.time() - t_start, metrics, commit,
                                  history, segments)
            save_model_file(run / "model-last.safetensors", model, meta)
        barrier(ctx)
        if cfg.max_minutes is not None and (time.time() - t_start) / 60 > cfg.max_minutes and epoch + 1 < cfg.epochs:
            say(f"stopping after epoch {epoch + 1}: wall-clock budget of {cfg.max_minutes} min used up")
            epoch += 1
            break
    else:
        epoch = cfg.epochs if cfg.epochs > start_epoch else start_epoch
    out = Path(cfg.out)
    if ctx.is_main:
        final, average = model, None
        if averaged is not None and int(averaged.n_averaged) > 0:
            final = averaged.module
            average = {"from_step": average_after + 1, "to_step": step, "steps_averaged": int(averaged.n_averaged),
                       "last_step_validation": metrics}
            metrics = validate(final, val_set, device, sigma_px=sigma_px) if val_set is not None else {}
            mean = metrics.get("mean_over_datasets", {})
            if mean:
                say(f"average of the weights of steps {average['from_step']}..{step}: val PSNR {mean['psnr']:.2f} dB "
                    f"SSIM {mean['ssim']:.4f} colour err {mean['colour_error']:.1f}")
        meta = build_metadata(cfg, train_pairs, val_pairs, epoch, step, time.time() - t_start, metrics, commit,
                              history, training_segments(done_segments, commit, start_epoch, epoch), average)
        save_model_file(out, final, meta)
        say(f"wrote {out}")
    barrier(ctx)
    shutdown(ctx)
    return TrainResult(out, history, epoch, step)

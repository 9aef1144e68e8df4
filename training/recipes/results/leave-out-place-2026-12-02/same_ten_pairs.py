"""The Finnish place 0060c0a5 (10 months) scored by two models: trained without the whole temperate set, and trained without this place only.
    .venv/bin/python training/recipes/results/leave-out-place-2026-12-02/same_ten_pairs.py "leave out the place=training/recipes/results/leave-out-place-2026-12-02/eval-loso-place-0060c0a5.json"
"""
import json, sys, numpy as np
files = {"linear recolour+residual, no temperate (LOSO set)": "training/recipes/results/recolour-2026-12-02/eval-recolour-residual-loso-temperate.json"}
files.update(dict(a.split("=", 1) for a in sys.argv[1:]))
per_pair = {label: json.load(open(f))["per_pair"] for label, f in files.items()}
place_keys = {label: [k for k in pp if "0060c0a5" in k] for label, pp in per_pair.items()}
for label, pp in per_pair.items():
    keys = place_keys[label]
    out = []
    for m in ("b_palette_constant", "c_new_world_palette", "e_new_other_date", "f_new_own_optical"):
        v = [pp[k][m] for k in keys if pp[k].get(m)]
        if v:
            out.append(f"{m[:1]} {np.mean([x['psnr'] for x in v]):.2f}/{np.mean([x['ssim'] for x in v]):.3f} (n={len(v)})")
    print(f"{label}: " + "  ".join(out))
print("lum_corr:")
for label, pp in per_pair.items():
    keys = place_keys[label]
    print(label, {m[:1]: round(float(np.mean([pp[k][m]["lum_corr"] for k in keys if pp[k].get(m)])), 2)
                  for m in ("c_new_world_palette", "d_new_no_prior", "f_new_own_optical")},
          "f0", round(float(np.mean([pp[k]["f0_own_alone"]["psnr"] for k in keys])), 2))

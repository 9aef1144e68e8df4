# Run from the repository root: .venv/bin/python training/recipes/results/palette-refit-and-data-search-2026-12-05/palette_refit_check.py
# Measures (2026-12-05) how the shipped palette mapping fits the 80 BigEarthNet land places, and a refit
# that includes them, each country left out in turn. Exploratory: nothing shipped from it.
import sys, json, numpy as np
sys.path.insert(0,'benchmarks'); sys.path.insert(0,'..')
import palette_calibration as pc
from sar_colorizer.core.world_palette import load_world_palette
from pathlib import Path
pal = load_world_palette(require_mapping=False)
m = json.load(open('training/recipes/palette_calibration.json'))['palette_to_convention']
g=np.array(m['gain']); o=np.array(m['offset'])
shipped = pc.Mapping(g, np.ones(3), o)
places,_ = pc.bigearthnet_places(Path('data/bigearthnet'), pal)
rows=[]
for p in places:
    if p.extra['sea']: continue
    pred = shipped(p.palette)
    r = np.log(p.mean/pred)
    month=int(p.name.split('_')[-1][4:6])
    rows.append((p.extra['country'], month, p.lonlat[1], r, p.mean, pred))
import collections
by=collections.defaultdict(list)
for c,mo,lat,r,mean,pred in rows: by[mo].append(r)
print("n",len(rows))
for mo in sorted(by): a=np.array(by[mo]); print(mo, len(a), a.mean(0).round(2), a.std(0).round(2))
byc=collections.defaultdict(list)
for c,mo,lat,r,mean,pred in rows: byc[c].append((mo,r))
for c in sorted(byc):
    a=np.array([r for mo,r in byc[c]]); print(c, len(a), sorted({mo for mo,_ in byc[c]}), a.mean(0).round(2), a.std(0).round(2))
a=np.array([r for *_,r,_,_ in rows]); print('all', a.mean(0).round(2), a.std(0).round(2))
pairs, _ = pc.collect()
refl = [p for p in pairs if p.kind == "reflectance" and not p.snow]
keys, pal4, true4 = pc.place_means(refl)
print("reflectance places", keys)
ben = [p for p in places if not p.extra['sea']]
countries = sorted({p.extra['country'] for p in ben})
tot_s, tot_n, n = 0, 0, 0
for c in countries:
    tr = [p for p in ben if p.extra['country'] != c]; te = [p for p in ben if p.extra['country'] == c]
    palt = np.vstack([pal4, [p.palette for p in tr]]); truet = np.vstack([true4, [p.mean for p in tr]])
    m2 = pc.fit_hue_kept(palt, truet)
    P = np.array([p.palette for p in te]); T = np.array([p.mean for p in te])
    es = np.sqrt(np.mean(np.log(T/shipped(P))**2)); en = np.sqrt(np.mean(np.log(T/m2(P))**2))
    mae_s = (np.abs(np.clip(T,0,1)-np.clip(shipped(P),0,1))*255).mean(); mae_n=(np.abs(np.clip(T,0,1)-np.clip(m2(P),0,1))*255).mean()
    print(f"{c:12s} n={len(te):2d} shipped logrms {es:.3f} mae {mae_s:5.1f}  refit logrms {en:.3f} mae {mae_n:5.1f}  gain {m2.gain[0]:.3f} off {m2.offset.round(3)}")
    tot_s += es**2*len(te); tot_n += en**2*len(te); n += len(te)
print("pooled", np.sqrt(tot_s/n), np.sqrt(tot_n/n))
from scipy.optimize import least_squares
def fit_hk_gamma(palv, truev):
    x = palv/255.0
    def res(p): return np.log(np.maximum(p[:3] + p[3]*x**p[4], 1e-4)/truev).ravel()
    p = least_squares(res, np.array([0.05,0.05,0.1,1.0,1.0]), bounds=([0,0,0,0,0.3],[np.inf]*4+[4])).x
    return pc.Mapping(np.full(3,p[3]), np.full(3,p[4]), p[:3].copy())
deserts = pc.desert_means()
arid = np.array([d.mean for d in deserts]).mean(0)
print("arid mean", arid.round(3))
for name, form in [("hue-kept", pc.fit_hue_kept), ("hk-gamma", fit_hk_gamma)]:
    tot=0;n=0;maes=[]
    for c in countries:
        tr = [p for p in ben if p.extra['country'] != c]; te = [p for p in ben if p.extra['country'] == c]
        palt = np.vstack([pal4, [p.palette for p in tr]]); truet = np.vstack([true4, [p.mean for p in tr]])
        m2 = form(palt, truet)
        P = np.array([p.palette for p in te]); T = np.array([p.mean for p in te])
        e = np.log(T/m2(P)); tot += (e**2).sum(); n += e.size
        maes.append(f"{c[:4]} {(np.abs(np.clip(T,0,1)-np.clip(m2(P),0,1))*255).mean():.1f}")
    # leave each reflectance place out
    l4=[]
    for i in range(4):
        palt = np.vstack([np.delete(pal4,i,0), [p.palette for p in ben]]); truet = np.vstack([np.delete(true4,i,0), [p.mean for p in ben]])
        m2=form(palt,truet); l4.append(np.sqrt(np.mean(np.log(true4[i]/m2(pal4[i]))**2)))
    mall = form(np.vstack([pal4,[p.palette for p in ben]]), np.vstack([true4,[p.mean for p in ben]]))
    _, derr = pc.desert_check(pal, mall, arid)
    print(name, "LOCO pooled logrms", round(np.sqrt(tot/n),3), maes, "4places", np.round(l4,3), "deserts", derr.round(3), mall.as_json())
_, derr = pc.desert_check(pal, shipped, arid); print("shipped deserts", derr.round(3))
l4=[np.sqrt(np.mean(np.log(true4[i]/shipped(pal4[i]))**2)) for i in range(4)]; print("shipped 4places (in-fit)", np.round(l4,3))

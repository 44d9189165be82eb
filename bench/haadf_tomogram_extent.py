"""Are the tomogram route's Pt particles found with too small an extent? The `haadf_tomogram` route (`chiral-em
morphology --pipeline haadf_tomogram`, `segment --tomogram`) scores instance F1 0.783 on the 40 train slices of the
real Pt/γ-alumina tomogram and 0.803 on its 15 val slices at IoU 0.5, but 0.869 / 0.905 at IoU 0.1, and its instances
are about a tenth smaller in area than the hand-drawn ones (median ratio 0.90 on the val slices): part of the gap to
0.85 may be extent, not detection. Here every instance the shipped route finds (`particles_haadf_tomogram`, read once,
at the finder it was shipped with until 2026-12-08: fixed 0.7, depth 0.2) is grown by `d` px (`skimage.segmentation.expand_labels`: each background pixel within `d` px
goes to the nearest instance, so neighbours never merge), d = 0–3, and also shrunk by 1 px; and "hysteresis" variants
pT: grown by up to 3 px, but only into pixels whose foreground probability exceeds T (particles *found* at the
finder's 0.7, *outlined* at T; `catalyst.grow_into`). The variant is chosen on the 384
simulated tomogram slices `20b_instances` chooses the shipped finder on (`render_tomogram_slice` with
`TOMOGRAM_UNSATURATED`, 192², stream `[0, 91_000, 2, i]`), by pooled instance F1 at IoU 0.5; then the real slices
are scored once per variant, with a 95 % bootstrap over slices: the 40 train slices (which set the engine's second
version, so not held out) and the 15 val slices (never read to choose anything). Nothing is trained.

Measured on 2 cores (2026-12-08, 7 min; results/bench/haadf_tomogram_extent.json). A first run had the fixed growths
only (−1 to 3 px; 1 px chosen, val 0.818); the two pT variants were added after it, so after its real scores were seen,
and the choice among all eight is still made on the simulated slices alone:

| extent | F1, 384 simulated slices | 40 train slices F1 [95 % CI] | 15 val slices F1 [95 % CI] (P / R) | val mean matched IoU |
|---|---|---|---|---|
| eroded 1 px | 0.591 | 0.602 [0.549, 0.663] | 0.618 [0.500, 0.730] (0.60 / 0.64) | 0.695 |
| as found (the shipped route) | 0.689 | 0.783 [0.720, 0.845] | 0.803 [0.725, 0.885] (0.77 / 0.83) | 0.765 |
| grown 1 px | 0.705 | 0.794 [0.743, 0.848] | 0.818 [0.748, 0.884] (0.79 / 0.85) | 0.730 |
| grown 1.5 px | 0.702 | 0.777 [0.723, 0.834] | 0.803 [0.733, 0.870] (0.77 / 0.83) | 0.702 |
| grown 2 px | 0.686 | 0.729 [0.681, 0.776] | 0.701 [0.574, 0.826] (0.68 / 0.73) | 0.668 |
| grown 3 px | 0.483 | 0.477 [0.390, 0.552] | 0.482 [0.342, 0.634] (0.46 / 0.50) | 0.601 |
| **into foreground > 0.5 (≤ 3 px)** | **0.739** | **0.810** [0.767, 0.857] | **0.847** [0.779, 0.908] (0.82 / 0.88) | 0.768 |
| into foreground > 0.3 (≤ 3 px) | 0.726 | 0.804 [0.758, 0.849] | 0.847 [0.775, 0.906] (0.82 / 0.88) | 0.735 |

The particles are small (median radius ≈ 7 px), so one pixel of extent moves many matches across IoU 0.5 (−1 px:
0.60; +2 px: 0.73). Growing every instance by a fixed amount helps the ones drawn too tight and spoils the rest;
outlining at a lower probability of the network's own foreground (0.5) grows only where the network sees particle,
and the simulated slices choose it (0.689 → 0.739); on the real slices it adds 0.027 (train) and 0.044 (val), the
matched IoU unchanged. Adopted as a fourth element of the HAADF finders (`extent`), chosen with the rest of the
finder on simulated scenes in `20b_instances`.

`python bench/haadf_tomogram_extent.py [--n 384] [--out FILE]`"""
import argparse, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from haadf_tomogram_tta import setup, boot_ci
from chiral_em.core import project_root, write_json, versions
from chiral_em.measure import eval_instances, pooled_f1

BEFORE = ("fixed", 0.7, 0.2)   # the tomogram finder until 2026-12-08 (since then 0.8, 0.2, extent 0.5)
GROWTH = ("-1", "0", "1", "1.5", "2", "3", "p0.5", "p0.3")   # [px]; −1: eroded by one pixel; pT: see `grow`


def grow(labels:np.ndarray, d:str, fg:np.ndarray=None)->np.ndarray:   # label image, growth, foreground map → labels
    "Every instance grown by `d` px without merging (`expand_labels`; 1.5 px reaches the diagonal neighbours), for d < 0 eroded by |d| px; d = 'pT': grown by up to 3 px into the pixels whose foreground probability `fg` exceeds T."
    from skimage.segmentation import expand_labels, find_boundaries
    if d.startswith("p"):
        g = expand_labels(labels, 3)
        return np.where((labels > 0) | (fg > float(d[1:])), g, 0).astype(labels.dtype)
    d = float(d)
    if d >= 0: return expand_labels(labels, d) if d else labels
    out = labels.copy()
    for _ in range(int(-d)): out[find_boundaries(out, mode="inner")] = 0
    return out


def stats(maps:list, gts:list, d:str)->tuple:   # ((images, 3) tp / predicted / reference, matched IoUs)
    "Counts and matched IoUs of the previous finder's instances under extent variant `d` (`grow`)."
    from chiral_em.catalyst import finder_labels
    c, ious = [], []
    for g, m in zip(gts, maps):
        lab = grow(finder_labels(m, BEFORE), d, m[0])
        e = eval_instances(g, lab)
        c.append([e["tp"], e["n_pred"], e["n_gt"]])
        ious += list(np.ravel(e["iou"]))
    return np.array(c).reshape(-1, 3), ious


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=384, help="simulated tomogram slices")
    p.add_argument("--out", default=str(project_root() / "results" / "bench" / "haadf_tomogram_extent.json"))
    a = p.parse_args()
    from chiral_em.catalyst import catalyst_maps
    t0 = time.time()
    scenes, _, net, meta, real, real_gt = setup(a.n)
    maps = lambda im: catalyst_maps(np.asarray(im, np.float32), net, meta)[0]
    sim = [maps(im) for im, _ in scenes]
    gts = [g for _, g in scenes]
    real_maps = {sp: [maps(s.image.data) for s in v] for sp, v in real.items()}
    out = dict(n_sim=a.n, finder=list(BEFORE), growth={}, versions=versions())
    for d in GROWTH:
        c, _ = stats(sim, gts, d)
        r = out["growth"][d] = dict(sim_f1=pooled_f1(c))
        for sp in real:
            c, ious = stats(real_maps[sp], real_gt[sp], d)
            r[sp + "_mean_matched_iou"] = float(np.mean(ious)) if ious else None
            r[sp] = dict(f1=pooled_f1(c), ci95=boot_ci(c), precision=float(c[:, 0].sum() / max(c[:, 1].sum(), 1)),
                         recall=float(c[:, 0].sum() / max(c[:, 2].sum(), 1)), n_slices=len(c))
        print(d, r, flush=True)
    g = out["growth"]
    out["chosen"] = max(GROWTH, key=lambda d: (g[d]["sim_f1"], d == "0"))
    out["wall_s"] = time.time() - t0
    write_json(a.out, out)
    print("chosen on simulation:", out["chosen"], "; wrote", a.out)


if __name__ == "__main__":
    main()

"""Choosing the scale of the instance network by the network's own answer: tried, adopted for one commit (8c1da2c),
reverted (c29e7c9). The shipped `instances_unet` was trained on simulated agglomerates of median radius 15 px;
`instances.segment_instances` resamples the image so that the particles come out near that size, from a radius
estimated before the network (`instances.classical_radius`: the inscribed radius of smoothed Otsu blobs), resampling
only when it falls outside 6–28 px. On clumps of small touching spheres (the particlespy SiO₂ image: spheres six pixels
across) that radius is the clump's, nothing is resampled and the network returns clumps. The rule tried here
(`choose_zoom`) runs the network at ×¼, ×½, 1, ×2, ×4 on a central window (at most 1 Mpx per pass) and keeps the factor
at which its own instances have the training radius. Scored, nothing chosen:

- the simulated held-out scenes of `20b_instances` (all outlines, `sim.agglomerates`, 256 px, its seed stream
  [0, 10000, mode, agglomerated, i], six per group), where the network was developed;
- simulated clumps of touching spheres (sphere outlines only, agglomeration 0.6–0.95, polydispersity 0.03–0.08, blur
  0.3–0.8 px, dose 300–3,000; seed stream [99, d, i, bf]) in four diameter bins: F1 at IoU 0.5 and the median
  equivalent diameter against the truth, beside the classical `touching` segmenter;
- the particlespy SiO₂ HAADF image (8.552 nm/px, no labels): instances and median equivalent diameter;
- the first `--n-real` labelled images of every shared real set that `20b_instances` scores: F1 at IoU 0.5.

Measured on 2 cores (2026-12-07; results/bench/instances_zoom.json):

| data (F1 at IoU 0.5) | `touching` | network, classical radius (shipped) | network, chosen scale (tried) |
|---|---|---|---|
| 20b's simulated scenes, BF isolated / agglomerated | 0.327 / 0.299 | **0.435 / 0.309** | 0.296 / 0.123 |
| the same, HAADF | 0.457 / 0.599 | **0.716 / 0.841** | 0.536 / 0.591 |
| the same, SEM | 0.624 / 0.125 | **0.754 / 0.358** | 0.343 / 0.324 |
| sphere clumps 5–8 px, BF / HAADF | 0.174 / 0.333 | 0.297 / 0.715 | **0.482 / 0.876** |
| sphere clumps 25–50 px, BF / HAADF | **0.787** / 0.760 | 0.726 / 0.945 | 0.485 / **0.948** |
| real: stach in-situ crops (first 12) | | 0.153 | **0.906** |
| real: temseg / chen / genc / tomogram / friedl | | **0.942** / **0.051** / 0.078 / 0.028 / **0.050** | 0.935 / 0.043 / **0.102** / **0.031** / 0.028 |

Median equivalent diameter of the 5–8 px sphere clumps: +52 % (`touching`), +31 % (shipped rule), +6 % (chosen
scale) in bright-field; +26 %, +1 %, −4 % in HAADF; of 25–50 px BF clumps −4 %, −7 %, −42 %. The SiO₂ image: 24
objects of median 137 nm (`touching`), 58 of 94 nm (shipped rule, no resampling: classical radius 7.6 px, inside
6–28), **211 of 50 nm** at the chosen ×4 (the spheres are about six pixels, 50 nm, across).

Where it helps it helps a lot (small spheres, the in-situ crops, where the classical radius sends the network to the
wrong scale), but on the simulated scenes the network was developed on it loses up to 0.4 of F1: the network returns
instances near its training size at almost any zoom, over-splitting large particles into fragments at ×4 (a BF scene of
true median radius 20 px was sent to ×4) and merging clumps at ×¼, so "the zoom at which the instances have the
training radius" has spurious answers. In `20b_instances`' own cpu run with it (commit 8c1da2c, 39 min) the
leave-one-dataset-out choices did not change; it was reverted (c29e7c9). What would make it work: a criterion that
the fragments and the merges do not satisfy (e.g. the network's confidence at instance boundaries, or agreement between
neighbouring zooms), chosen on the simulated scenes.

`python bench/instances_zoom.py [--n-sim 8] [--n-real 12] [--out FILE]`"""
import argparse, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from chiral_em.core import get_profile, project_root, write_json, versions

BINS = ((5, 8), (8, 14), (14, 25), (25, 50))   # sphere diameters [px]
SPHERES = dict(polydispersity=(0.03, 0.08), agglomeration=(0.6, 0.95), coverage=(0.15, 0.45), texture=(0., 0.3),
               blur=(0.3, 0.8), dose=(300., 3000.))


def choose_zoom(crop:np.ndarray, net, meta:dict, max_zoom:float=4., window:int=1024)->tuple:
    """(zoom, {zoom: median radius [resampled px]}): the power of two in [1/max_zoom, max_zoom] at which the network's
    instances (default split) have its training radius, closest in log, on the central window (`window` resampled px)."""
    from scipy.ndimage import zoom as rezoom
    from chiral_em.instances import predict_maps, split_instances, median_radius, TRAIN_RADIUS
    k = int(np.floor(np.log2(max(max_zoom, 1.))))
    target, r = float(meta.get("radius_px", TRAIN_RADIUS)), {}
    for z in [1.] + [float(2. ** e) for e in range(-k, k + 1) if e]:
        h, w = (min(n, max(1, int(window / z))) for n in crop.shape)
        if min(h, w) * z < 32: continue
        y0, x0 = (crop.shape[0] - h) // 2, (crop.shape[1] - w) // 2
        win = crop[y0:y0 + h, x0:x0 + w]
        r[z] = median_radius(split_instances(predict_maps(net, win if z == 1 else rezoom(win, z, order=1))))
    fit = {z: abs(np.log(v / target)) for z, v in r.items() if v > 0}
    return (min(fit, key=fit.get) if fit else 1.), r


def old_zoom(img:np.ndarray, meta:dict, max_zoom:float=4.)->float:
    "The shipped rule (`segment_instances`): the classical radius, resampled 20 % inside `radius_range_px` when outside it."
    from chiral_em.instances import classical_radius, RADIUS_RANGE
    from chiral_em.annotations import exclude_annotations
    from chiral_em.emio import to_gray
    crop = exclude_annotations(to_gray(np.asarray(img, np.float32)))[0]
    r, (lo, hi) = classical_radius(crop), meta.get("radius_range_px", RADIUS_RANGE)
    return 1. if not r or lo <= r <= hi else float(np.clip((1.2 * lo if r < lo else hi / 1.2) / r, 1 / max_zoom, max_zoom))


def sphere_scene(rng, field:int, mode:str, d:tuple):
    "A scene of touching spheres (the engine's outline draw replaced by near-round spheres)."
    import chiral_em.sim.agglomerates as A
    draw = A.particle_shape
    A.particle_shape = lambda r: dict(kind="sphere", p=2., d=2, ratio=float(r.uniform(1., 1.05)),
                                      phase=float(r.uniform(0, 2 * np.pi)))
    try: return A.render_agglomerates(rng, field, mode, diameter=d, **SPHERES)[:2]
    finally: A.particle_shape = draw


def eqd(lab:np.ndarray)->np.ndarray:  # equivalent diameters [px] of the instances of ≥ 3 px
    a = np.bincount(np.asarray(lab).ravel())[1:]
    return np.sqrt(4 * a[a >= 3] / np.pi)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-sim", type=int, default=8, help="scenes per bin and contrast")
    p.add_argument("--n-real", type=int, default=12, help="labelled images per real set")
    p.add_argument("--out", default=str(project_root() / "results" / "bench" / "instances_zoom.json"))
    a = p.parse_args()
    from chiral_em.instances import segment_instances
    from chiral_em.morphology import _instance_net
    from chiral_em.segment import segment_default, TOUCHING
    from chiral_em.measure import eval_instances, summarize_eval
    from chiral_em.datasets import available, data_dir
    t0 = time.time()
    net, meta = _instance_net()
    pipes = {"touching": lambda im, dk: segment_default(im, dark=dk, **TOUCHING),
             "network, classical radius": lambda im, dk: segment_instances(im, net, meta, zoom=old_zoom(im, meta)),
             "network, chosen scale": lambda im, dk: segment_instances(im, net, meta, zoom=choose_zoom(im, net, meta)[0])}
    from chiral_em.sim.agglomerates import render_agglomerates, MODES
    general = {}
    for m in MODES:
        for lvl, agg in (("isolated", (0., 0.)), ("agglomerated", (0.9, 0.9))):
            ev, zs = {k: [] for k in pipes}, []
            for i in range(6):
                img, gt, _ = render_agglomerates(np.random.default_rng([0, 10_000, MODES.index(m), int(agg[0] > 0), i]),
                                                 256, m, agglomeration=agg)
                zs.append([old_zoom(img, meta), choose_zoom(img, net, meta)[0], float(np.sqrt(np.median(np.bincount(gt.ravel())[1:]) / np.pi))])
                for k, fn in pipes.items(): ev[k].append(eval_instances(gt, fn(img, m == "bf")))
            general[f"{m}/{lvl}"] = dict(f1={k: summarize_eval(v)["f1"] for k, v in ev.items()},
                                         zoom_old_new_and_true_radius=zs)
            print(m, lvl, {k: round(v, 3) for k, v in general[f"{m}/{lvl}"]["f1"].items()}, zs, f"[{time.time() - t0:.0f} s]", flush=True)
    sim = {}
    for mode in ("bf", "haadf"):
        for d in BINS:
            ev, err = {k: [] for k in pipes}, {k: [] for k in pipes}
            for i in range(a.n_sim):
                img, gt = sphere_scene(np.random.default_rng([99, d[0], i, int(mode == "bf")]), 192 if d[0] < 14 else 320,
                                       mode, d)
                g = np.median(eqd(gt))
                for k, fn in pipes.items():
                    lab = fn(img, mode == "bf")
                    ev[k].append(eval_instances(gt, lab))
                    e = eqd(lab)
                    err[k].append(float(np.median(e) / g - 1) if len(e) else float("nan"))
            sim[f"{mode} {d[0]}-{d[1]} px"] = {k: dict(f1=summarize_eval(ev[k])["f1"],
                                                       median_diameter_error=float(np.nanmedian(err[k])))
                                               for k in pipes}
            print(mode, d, {k: (round(v["f1"], 3), round(v["median_diameter_error"], 3))
                            for k, v in sim[f"{mode} {d[0]}-{d[1]} px"].items()}, f"[{time.time() - t0:.0f} s]", flush=True)
    sio2 = None
    if available("particlespy_sio2_haadf"):
        import tifffile
        img = tifffile.imread(data_dir("particlespy_sio2_haadf") / "SiO2_HAADF_float32.tif").astype(np.float32)
        z, radii = choose_zoom(img, net, meta)
        sio2 = dict(pixel_size_nm=8.552, chosen_zoom=z, radius_by_zoom={str(k): v for k, v in radii.items()},
                    old_zoom=old_zoom(img, meta))
        for k, fn in pipes.items():
            e = eqd(fn(img, False)) * 8.552
            sio2[k] = dict(n=int(len(e)), median_diameter_nm=float(np.median(e)) if len(e) else None)
        print("SiO2", sio2, flush=True)
    real = {}
    from lodo_real_training import load_sets
    from lodo_extent import score
    cfg = get_profile("20b_instances", "cpu")
    for name, (kind, items) in load_sets(a.n_real, cfg.max_side).items():
        real[name] = {k: score(kind, items, [pipes[k](it["img"], it["dark"]) for it in items], .5)["f1"]
                      for k in ("network, classical radius", "network, chosen scale")}
        print(name, real[name], f"[{time.time() - t0:.0f} s]", flush=True)
    write_json(a.out, dict(simulated_20b=general, simulated_spheres=sim, sio2=sio2, real=real, n_sim=a.n_sim, n_real=a.n_real, wall_s=time.time() - t0,
                           versions=versions()))
    print("wrote", a.out)


if __name__ == "__main__":
    main()

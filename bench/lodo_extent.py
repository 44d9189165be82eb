"""Leave one data set out: are the misses of the four sets below the goal missed particles, or particles found with the
wrong extent? For the variant the leave-one-dataset-out table of `20b_instances` chooses on every set ("touching;
HAADF network": HAADF-STEM images to the HAADF network of the stated support at its simulation-chosen finder, every
other image to the classical `touching` segmenter), this script scores each shared real set at IoU 0.5, 0.3 and 0.1
(instance IoU for mask labels, box IoU for box labels; one-to-one, highest IoU first), and for the box sets compares the sizes of the instances'
boxes with the hand-drawn ones. Then one step that changes the extent only: each instance of the classical route grown
to the object's visible extent (`grow_visible`: the pixels brighter than the background's median + k × its robust
sigma after a 1-px Gaussian, darker for bright-field, connected to the instance and shared between neighbours by a
watershed on the intensity), k = 2, 3, 5, on every real set and on simulated agglomerate scenes (`sim.agglomerates`, a
seed stream of its own; the scenes the segmenters are developed on), and what the leave-one-dataset-out rule of
`20b_instances` would choose and score if the grown variants were candidates. Nothing is trained.

Measured on 2 cores (2026-12-06, 1 min; results/bench/lodo_extent.json):

| set (labels) | F1 at IoU 0.5 / 0.3 / 0.1 | instances per label | grown, k = 2 / 3 / 5 (IoU 0.5) |
|---|---|---|---|
| stach in-situ BF-TEM (masks) | 0.919 / 0.924 / 0.924 | 0.89 | 0.919 / 0.919 / 0.919 |
| temseg Au HRTEM (masks) | 0.963 / 0.984 / 0.988 | 0.98 | 0.886 / 0.959 / 0.964 |
| chen tetrahedra (masks) | 0.414 / 0.615 / 0.686 | 0.80 | 0.426 / 0.414 / 0.414 |
| genc catalysts (boxes) | 0.342 / 0.422 / 0.459 | 0.33 | 0.340 / 0.342 / 0.342 |
| Pt tomogram (masks) | 0.511 / 0.589 / 0.606 | 2.15 | (HAADF route, unchanged) |
| friedl nanowires (boxes) | **0.261 / 0.685 / 0.889** | 1.04 | **0.716 / 0.693 / 0.615** |

The SEM nanowire tiles are a question of extent, not detection: at IoU 0.1 the chosen variant finds the objects (F1
0.889, about one instance per box), but its boxes cover only their bright parts (median 7 × 16 px against the
hand-drawn 13 × 27 px): in secondary-electron images tips and edges are bright and the bodies of the parasitic
crystallites dim, and Otsu's threshold keeps the bright parts. Grown to their visible extent the instances score 0.69
(k = 3). The rule of `20b_instances` would not choose that on its own evidence: on the other five sets growing changes
nothing or costs a little (temseg 0.963 → 0.959 at k = 3, 0.886 at k = 2), and on simulated SEM agglomerates it costs
F1 (0.171 → 0.138 at k = 3; isolated SEM particles 0.690 → 0.673). With the grown variants as candidates (a grid
written after the friedl result was seen) the rule would choose k = 5 for friedl, ahead of the ungrown variant by
0.0001 of mean F1 on the other sets, and k = 2 for temseg (0.886) and k = 3 elsewhere because of their friedl scores:
friedl 0.615, temseg 0.886, the rest unchanged. Not adopted: a choice carried by a margin of 0.0001 is not evidence,
and the simulated SEM scenes, where the segmenters are developed, say the opposite. The catalyst images are the other
case: the network returns a third as many instances as there are boxes, so most particles are missed; padding or
growing the boxes does not help (0.370 at most, boxes padded by 1 px). The Pt tomogram has about two instances per
particle (support texture found as particles), and the tetrahedra are split and merged along their bright gaps (0.41
at IoU 0.5, 0.69 at 0.1).

`python bench/lodo_extent.py [--out FILE]`"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from lodo_real_training import load_sets
from chiral_em.core import get_profile, project_root, write_json, versions

KS = (2., 3., 5.)        # growth thresholds: background median + k robust sigma
THRS = (0.5, 0.3, 0.1)   # IoU thresholds
HAADF_SETS = {"genc_catalyst_np_yolo": "dense", "genc_pt_alumina_haadf_tomo": "default"}   # support as 20b states it


def grow_visible(img:np.ndarray, labels:np.ndarray, dark:bool, k:float=3., sigma:float=1.)->np.ndarray:
    "Grow each instance over the connected pixels k robust sigma beyond the background's median (watershed on intensity)."
    from skimage.filters import gaussian
    from skimage.segmentation import watershed
    a = np.asarray(img, float)
    lo, hi = np.percentile(a, (0.5, 99.5))
    g = gaussian(np.clip((a - lo) / max(hi - lo, 1e-9), 0, 1), sigma)
    g = 1 - g if dark else g
    bg = g[labels == 0]
    if bg.size < 16: return labels
    med = np.median(bg)
    mad = 1.4826 * np.median(np.abs(bg - med))
    return watershed(-g, markers=labels, mask=(g > med + k * mad) | (labels > 0)).astype(np.int32)


def score(kind:str, items:list, labs:list, thr:float)->dict:
    "Pooled F1 (and counts) of instance labels against a set's masks (instance IoU) or boxes (box IoU)."
    from chiral_em.detect import box_counts
    from chiral_em.measure import eval_instances
    if kind == "boxes": c = [box_counts(l, it["boxes"], thr) for it, l in zip(items, labs)]
    else: c = [(e["tp"], e["n_pred"], e["n_gt"]) for e in (eval_instances(it["gt"], l, thr) for it, l in zip(items, labs))]
    tp, npd, ng = (int(sum(x[i] for x in c)) for i in range(3))
    return dict(f1=2 * tp / max(npd + ng, 1), tp=tp, n_pred=npd, n_true=ng)


def box_sizes(labs:list)->np.ndarray:  # (n, 2) width, height [px] of every instance's bounding box
    from skimage.measure import regionprops
    return np.array([[r.bbox[3] - r.bbox[1], r.bbox[2] - r.bbox[0]] for l in labs for r in regionprops(l)]).reshape(-1, 2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(project_root() / "results" / "bench" / "lodo_extent.json"))
    a = p.parse_args()
    from chiral_em.segment import segment_default, TOUCHING
    from chiral_em.catalyst import finder_kwargs
    from chiral_em.morphology import segment_haadf
    from chiral_em.measure import eval_instances, summarize_eval
    from chiral_em.sim.agglomerates import render_agglomerates, MODES
    t0 = time.time()
    cfg = get_profile("20b_instances", "cpu")
    b20 = json.loads((project_root() / "results" / "cpu" / "20b_instances.json").read_text())["metrics"]
    finders = {k: v["finder"] for k, v in b20["haadf_finders"].items()}
    data = load_sets(cfg.n_real, cfg.max_side)
    res, grown_f1 = {}, {}
    for name, (kind, items) in data.items():
        haadf = [name in HAADF_SETS and (name != "genc_catalyst_np_yolo" or not it["dark"]) for it in items]
        labs = [segment_haadf(it["img"], support=HAADF_SETS[name], **finder_kwargs(finders[HAADF_SETS[name]])) if h
                else segment_default(it["img"], dark=it["dark"], **TOUCHING) for it, h in zip(items, haadf)]
        sc = {t: score(kind, items, labs, t) for t in THRS}
        r = dict(f1={str(t): v["f1"] for t, v in sc.items()})
        s = sc[.5]
        r["instances_per_label"] = s["n_pred"] / max(s["n_true"], 1)
        if kind == "boxes":
            gb = np.concatenate([it["boxes"][:, 2:] - it["boxes"][:, :2] for it in items])
            r["median_box_wh_px"] = dict(instances=np.median(box_sizes(labs), 0).tolist(), labels=np.median(gb, 0).tolist())
            r["f1_boxes_padded"] = {}
            from chiral_em.detect import match_boxes
            from skimage.measure import regionprops
            for pad in (1, 2, 3):
                tp = npd = ng = 0
                for it, l in zip(items, labs):
                    pr = regionprops(l)
                    bb = np.array([[q.bbox[1] - pad, q.bbox[0] - pad, q.bbox[3] + pad, q.bbox[2] + pad] for q in pr], float).reshape(-1, 4)
                    m = match_boxes(bb, np.array([q.area for q in pr], float), np.asarray(it["boxes"], float), .5)
                    tp, npd, ng = tp + int((m >= 0).sum()), npd + len(bb), ng + len(it["boxes"])
                r["f1_boxes_padded"][pad] = 2 * tp / max(npd + ng, 1)
        r["grown"] = {}
        for k in KS:
            gl = [l if h else grow_visible(it["img"], l, it["dark"], k) for it, l, h in zip(items, labs, haadf)]
            r["grown"][str(k)] = score(kind, items, gl, .5)["f1"]
        grown_f1[name] = r["grown"]
        res[name] = r
        print(name, json.dumps(r), f"[{time.time() - t0:.0f} s]", flush=True)
    sim = {}
    for m in MODES:
        for lvl, agg in (("isolated", (0., 0.)), ("agglomerated", (0.9, 0.9))):
            sc = [render_agglomerates(np.random.default_rng([12345, MODES.index(m), int(agg[0] > 0), i]), 256, m,
                                      agglomeration=agg)[:2] for i in range(12)]
            base = [segment_default(im, dark=m == "bf", **TOUCHING) for im, _ in sc]
            row = {"touching": summarize_eval([eval_instances(gt, l) for (_, gt), l in zip(sc, base)])["f1"]}
            for k in KS:
                row[f"grown k={k:g}"] = summarize_eval([eval_instances(gt, grow_visible(im, l, m == "bf", k))
                                                        for (im, gt), l in zip(sc, base)])["f1"]
            sim[f"{m}/{lvl}"] = row
            print(m, lvl, row, flush=True)
    # the leave-one-dataset-out rule of 20b with the grown variants as extra candidates
    scores = {n: dict(v) for n, v in b20["lodo_f1"].items() if n in grown_f1}
    for n in scores:
        for k in KS: scores[n][f"touching grown k={k:g}; HAADF network"] = grown_f1[n][str(k)]
    whatif = {}
    for n in scores:
        others = [o for o in scores if o != n]
        mean = {c: float(np.nanmean([scores[o][c] for o in others])) for c in scores[n]}
        best = max(mean, key=mean.get)
        whatif[n] = dict(choice=best, f1=scores[n][best], mean_f1_other_sets=mean[best],
                         runner_up_margin=mean[best] - sorted(mean.values())[-2])
        print("what if:", n, whatif[n], flush=True)
    write_json(a.out, dict(sets=res, simulated=sim, lodo_with_grown=whatif, ks=list(KS), wall_s=time.time() - t0,
                           versions=versions()))
    print("wrote", a.out)


if __name__ == "__main__":
    main()

"""Does the short `cpu` MD hold the size and composition back? Chapter 06's `cpu` profile runs each cluster 2 ps of
quench and 1 ps at 300 K (Janus: 1 ps hot first), about an eighth of the paper's durations (`md.draw_cluster_spec`
defaults: 20 ps quench, 5 ps thermalisation, 5 ps hot droplets). The chapter's prose guessed that its clusters are too
disordered to show the Ag and Co lattice fringes (2.36 and 2.05 Å) that would tell the composition, and with it the
volume per atom the size estimate needs. This bench tests that guess on the same clusters: the chapter's `cpu` cluster
specs (same protocol, size, composition and MD seed) rerun with the paper's durations, imaged with the chapter's
per-cluster imaging seeds (`[seed, i]`: the same orientation, position and imaging draws), and the chapter's CNN
(`nanoalloy.train_agconet`, `cpu` width, epochs, batch, learning rate) trained on each kind of cluster. Both arms use
the same training clusters (the first `n_train` of the chapter's training split) and are scored on the chapter's
validation clusters (never its test clusters), their noisy images read in eight views; `n_seeds` training seeds each.
The order of each cluster is measured directly too: the share of atoms whose 13th-nearest neighbour is ≥ 1.25 × as far
as their 12th (1.41 in a perfect fcc or hcp crystal, about 1.1 in a liquid).

Measured on 2 cores (2026-12-07; results/bench/agco_md_length.json). The first run took 29 min, of which 24 min 22 s
the long MD and its images for 419 clusters (3.5 s per cluster on 2 threads, about 8× the `cpu` MD); the committed
file is a rerun with those clusters cached (6 min, the same numbers), which added the paired interval, the order by
protocol and the outline baseline, so its `s_per_cluster_long` is that of the cached run. 300 training and 119 validation clusters (all of them classifiable and
imaged after the long MD too, and every measured label equals the protocol in both arms), three training seeds:

| MD | class acc. (mean ± sd) | size MAE [atoms] | composition MAE | ordered share, core-shell / Janus (median) | core-shell surface Ag enrichment | elongation, core-shell / Janus |
|---|---|---|---|---|---|---|
| `cpu` (2 + 1 ps) | 0.859 ± 0.005 | 99.5 ± 2.1 | 0.162 ± 0.001 | 0.004 / 0.29 | 1.13 | 1.08 / 2.21 |
| paper (20 + 5 ps) | 0.773 ± 0.015 | 93.8 ± 0.9 | 0.145 ± 0.003 | 0.031 / 0.28 | 1.57 | 1.21 / 1.98 |
| paper − `cpu` (seeds averaged, 95 % bootstrap over validation clusters) | −0.086 [−0.132, −0.041] | −5.7 [−14.7, +3.3] | −0.017 [−0.027, −0.007] | | | |

(training mean: size 229 atoms, composition 0.196; majority class 0.580.) An oracle baseline for the class: a
logistic regression on the log axis ratio of the simulator's exact projected outline (the `mask` of each cluster's
view; no method has it), fitted on the same training clusters, classifies 0.866 of the validation clusters with the
`cpu` MD and 0.815 with the paper's (adding the outline's area and solidity: 0.857 and 0.815). On the chapter's own
split (834 training, 238 test clusters) the same axis ratio classifies **0.924** of the test clusters, above the
shipped CNN pipeline's 0.903 (`bench/agco_outline.py` scores that row, with its interval, beside the shipped CNN). The guess was wrong: the paper's durations
leave the clusters about as ordered as the short ones (the core-shell clusters from the 7,500 K gas stay amorphous,
3 % crystal-like atoms; the Janus clusters, made from fcc droplets, keep the 28–29 % they had), so there are no more
lattice fringes to read; the composition improves by a tenth and the size
by 6 % (within the interval of no change), a factor of 3.7 short of the 25-atom goal. The **class accuracy falls by
9 points**: with longer MD the Ag shell forms (surface enrichment 1.13 → 1.57) but the shapes converge (core-shell
clusters less round, Janus dumbbells less elongated), and the shape difference of the short runs was carrying part of
the class accuracy. So the `cpu` profile's 0.903 overstates what the same recipe would reach on clusters simulated as
the paper simulates them, and on either kind of cluster the CNN does not beat what the exact outline's elongation
alone tells (0.859 against 0.866, 0.773 against 0.815 here; 0.903 against 0.924 on the chapter's test clusters).

`python bench/agco_md_length.py [--train 400] [--seeds 3] [--out FILE]` (after chapter 06's `cpu` data exist)"""
import hashlib, json, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from agco_size_floor import chapter_split, write_validation_arms
from chiral_em.core import Chapter, standardize, load_arrays, save_arrays
from chiral_em.sim import md, agco_image
from chiral_em.nanoalloy import train_agconet, predict_agconet

PAPER_MD = dict(t_quench=20., t_therm=5., t_hot=5.)   # `md.draw_cluster_spec` defaults [ps] (methods.md §1)


def ordered_share(positions:np.ndarray, ratio:float=1.25)->float:   # (n, 3) [Å] → share of atoms in [0, 1]
    "Share of atoms with ≥ 13 neighbours whose 13th-nearest neighbour is ≥ `ratio` × as far as the 12th (crystal-like)."
    from scipy.spatial import cKDTree
    x = np.asarray(positions, float)
    if len(x) < 14: return float("nan")
    d, _ = cKDTree(x).query(x, 14)           # column 0 is the atom itself
    return float((d[:, 13] / d[:, 12] >= ratio).mean())


def outline_features(images:dict)->np.ndarray:   # one cluster's images → (3,): log axis ratio, log area, solidity
    "The simulator's exact projected outline (`mask`, one view per cluster): its elongation, size and convexity."
    from skimage.measure import regionprops
    m = np.asarray(images["mask"])
    r = regionprops((m if m.ndim == 2 else m[0]).astype(np.uint8))[0]
    return np.array([np.log(r.axis_major_length / max(r.axis_minor_length, 1e-3)), np.log(r.area), r.solidity])


def outline_accuracy(F:np.ndarray, y:np.ndarray, tr, te, cols=(0,))->float:
    "Class accuracy on clusters `te` of a logistic regression on outline features `cols`, fitted on clusters `tr`."
    from sklearn.linear_model import LogisticRegression
    c = list(cols)
    return float(LogisticRegression().fit(F[tr][:, c], y[tr]).score(F[te][:, c], y[te]))


def paired_difference(a:np.ndarray, b:np.ndarray, n_boot:int=2000, seed:int=0)->dict:  # (3, clusters, draws) each
    "Second arm minus first (class accuracy, size MAE, composition MAE; seeds averaged), 95 % bootstrap over clusters."
    rng = np.random.default_rng(seed)
    d = b.mean(2) - a.mean(2)                                  # (3, clusters): per-cluster difference
    boot = np.array([d[:, rng.integers(0, d.shape[1], d.shape[1])].mean(1) for _ in range(n_boot)])
    return {k: dict(diff=float(d[j].mean()), ci95=[float(x) for x in np.percentile(boot[:, j], [2.5, 97.5])])
            for j, k in enumerate(("class_acc", "size_mae", "comp_mae"))}


def arm_data(specs:list, ids:np.ndarray, md_dir:Path, img_dir:Path, seed:int, out_px:int, n_draws:int):
    "Clusters `ids` of the chapter's spec list (MD and images cached per cluster): list of (cluster, images) or None."
    import dask
    from tqdm.auto import tqdm
    md_dir.mkdir(parents=True, exist_ok=True)
    img_dir.mkdir(parents=True, exist_ok=True)
    def one(i):
        cp, ip = md_dir / f"cluster_{i:06d}.npz", img_dir / f"images_{i:06d}.npz"
        if not cp.exists(): save_arrays(cp, md.simulate_cluster(specs[i]))
        c = md.load_clusters([cp])[0]
        if ip.exists(): return c, load_arrays(ip)
        try: im = agco_image.image_cluster(c, [seed, int(i)], out_px, n_draws)
        except ValueError as e: return f"cluster {i}: {e}"
        save_arrays(ip, im)
        return c, im
    out = []
    for k in tqdm(range(0, len(ids), 8), desc=md_dir.name):
        out += dask.compute(*[dask.delayed(one)(int(i)) for i in ids[k:k + 8]], scheduler="threads", num_workers=2)
    return [None if isinstance(r, str) else r for r in out]


def main(out:str=None, n_train:int=400, n_seeds:int=3, seed:int=0):
    t0 = time.time()
    ch = Chapter("06_agco", profile="cpu", seed=seed)
    cfg = ch.cfg
    md_kw = dict(t_quench=cfg.t_quench, t_therm=cfg.t_therm, t_hot=cfg.t_hot, n_atoms=tuple(cfg.n_atoms))
    key = hashlib.sha256(json.dumps([seed, md_kw], sort_keys=True).encode()).hexdigest()[:10]
    root = ch.data_dir / "cpu"
    short_md, short_img = root / f"md_{key}", root / f"img_{key}_{cfg.out_px}_{cfg.n_draws}"
    ip = [short_img / f"images_{i:06d}.npz" for i in range(cfg.n_clusters)]
    if not (short_md / f"cluster_{cfg.n_clusters - 1:06d}.npz").exists():
        sys.exit(f"chapter 06's cpu clusters are not in {root} (run `chiral-em reproduce --chapters 06_agco` first)")
    # the chapter's split, in the chapter's own indices (imaged clusters only), mapped back to spec indices
    imaged = np.nonzero([p.exists() for p in ip])[0]
    label = np.array([int(md.load_clusters([short_md / f"cluster_{i:06d}.npz"])[0]["label"]) for i in imaged])
    te, va, tr = chapter_split(label, cfg, seed)
    tr_ids, va_ids = imaged[tr[:n_train]], imaged[va]
    ids = np.r_[tr_ids, va_ids]
    specs = md.cluster_specs(seed, cfg.n_clusters, **md_kw)
    long_specs = [dict(s, **PAPER_MD) for s in specs]   # same protocol, size, composition and MD seed
    lkey = hashlib.sha256(json.dumps([seed, dict(md_kw, **PAPER_MD)], sort_keys=True).encode()).hexdigest()[:10]
    t1 = time.time()
    long = arm_data(long_specs, ids, root / f"mdlong_{lkey}", root / f"imglong_{lkey}_{cfg.out_px}_{cfg.n_draws}",
                    seed, cfg.out_px, cfg.n_draws)
    t_long = time.time() - t1
    short = [(md.load_clusters([short_md / f"cluster_{i:06d}.npz"])[0], load_arrays(short_img / f"images_{i:06d}.npz"))
             for i in ids]
    arms_data = {"cpu MD (2 + 1 ps)": short, "paper MD (20 + 5 ps)": long}
    ok = np.array([l is not None and int(l[0]["label"]) != md.UNCLASSIFIED for l in long])
    print(f"{(~ok).sum()} of {len(ids)} clusters left out (did not fit the field or unclassified after the long MD)")
    sel_tr = np.nonzero(ok[:len(tr_ids)])[0]
    sel_va = len(tr_ids) + np.nonzero(ok[len(tr_ids):])[0]
    arms, per = {}, {k: [] for k in arms_data}
    both = np.r_[sel_tr, sel_va]
    for name, data in arms_data.items():
        cl = [d[0] if d is not None else None for d in data]
        X = np.stack([[standardize(a) for a in d[1]["noisy"]] if d is not None
                      else np.zeros((cfg.n_draws, cfg.out_px, cfg.out_px)) for d in data]).astype(np.float32)
        lab = np.array([int(c["label"]) if c is not None else 0 for c in cl])
        n_atoms = np.array([int(c["n_atoms"]) if c is not None else 0 for c in cl])
        x_ag = np.array([float(c["x_ag"]) if c is not None else 0. for c in cl])
        r = arms[name] = dict(class_acc=[], size_mae=[], comp_mae=[], train_s=[])
        sh = np.array([ordered_share(cl[i]["positions"]) for i in both])
        r["ordered_share_median"] = float(np.nanmedian(sh))
        r["ordered_share_iqr"] = [float(np.nanpercentile(sh, 25)), float(np.nanpercentile(sh, 75))]
        prot = np.array([int(cl[i]["protocol"]) for i in both])
        r["ordered_share_median_by_protocol"] = {p: float(np.nanmedian(sh[prot == k])) for k, p in enumerate(md.CLASSES)}
        r["label_equals_protocol"] = float(np.mean([int(cl[i]["label"]) == int(cl[i]["protocol"])
                                                    for i in both]))
        r["n_atoms_lost_median"] = float(np.median([int(cl[i]["n_start"]) - int(cl[i]["n_atoms"])
                                                    for i in both]))
        r["surface_enrichment_core_shell_median"] = float(np.nanmedian(
            [float(cl[i]["surface_enrichment"]) for i in both if int(cl[i]["protocol"]) == 0]))
        r["elongation_median"] = {p: float(np.median([md.elongation(cl[i]["positions"]) for i in both
                                                      if int(cl[i]["protocol"]) == k]))
                                  for k, p in enumerate(md.CLASSES)}
        F = np.stack([outline_features(d[1]) if d is not None else np.zeros(3) for d in data])
        r["outline_baseline_class_acc"] = {"axis ratio": outline_accuracy(F, lab, sel_tr, sel_va),
                                           "axis ratio, area, solidity": outline_accuracy(F, lab, sel_tr, sel_va, (0, 1, 2))}
        for s in range(n_seeds):
            t2 = time.time()
            net, mu, sd, hist = train_agconet(X, lab, n_atoms, x_ag, sel_tr, sel_va, seed, s, cfg.width, cfg.epochs,
                                              cfg.batch, cfg.lr)
            r["train_s"].append(time.time() - t2)
            p, sz, c = predict_agconet(net, X[sel_va].reshape(-1, cfg.out_px, cfg.out_px), mu, sd, tta=True)
            yl, yn, yc = (np.repeat(a[sel_va], cfg.n_draws) for a in (lab, n_atoms, x_ag))
            r["class_acc"].append(float(((p > 0.5) == yl).mean()))
            r["size_mae"].append(float(np.abs(sz - yn).mean()))
            r["comp_mae"].append(float(np.abs(c - yc).mean()))
            per[name].append(np.stack([(p > 0.5) == yl, np.abs(sz - yn), np.abs(c - yc)]).reshape(3, len(sel_va), -1))
            print(name, s, {k: round(v[-1], 4) for k, v in r.items() if isinstance(v, list) and v}, flush=True)
        for k in ("class_acc", "size_mae", "comp_mae"):
            r[f"{k}_mean"], r[f"{k}_sd"] = float(np.mean(r[k])), float(np.std(r[k], ddof=1)) if n_seeds > 1 else 0.
        r["baseline_size_mae"] = float(np.abs(n_atoms[sel_va] - n_atoms[sel_tr].mean()).mean())
        r["baseline_comp_mae"] = float(np.abs(x_ag[sel_va] - x_ag[sel_tr].mean()).mean())
        r["baseline_class_acc"] = float(max(lab[sel_va].mean(), 1 - lab[sel_va].mean()))
    arms["difference"] = paired_difference(*(np.mean(per[k], 0) for k in arms_data))
    arms["md"] = dict(s_per_cluster_long=t_long / max(len(ids), 1), threads=2, durations_long_ps=PAPER_MD,
                      durations_cpu_ps=dict(t_quench=cfg.t_quench, t_therm=cfg.t_therm, t_hot=cfg.t_hot),
                      note="wall seconds per cluster for the long MD and its images (0 if cached)")
    write_validation_arms("agco_md_length", arms, sel_tr, sel_va, cfg.n_draws, t0, out)


if __name__ == "__main__":
    a = sys.argv[1:]
    opt = lambda k, d: type(d)(a[a.index(k) + 1]) if k in a else d
    main(opt("--out", None) if "--out" in a else None, opt("--train", 400), opt("--seeds", 3))

"""How well can anything read the atom count of an AgCo cluster off one projection? Chapter 06's size goal (≤ 25 atoms
MAE; paper 004: ±33) against what the ground truth allows. On chapter 06's `cpu` clusters and images (its cache; run
the chapter first) and its split by cluster, gradient-boosted trees (scikit-learn) map per-image features to the atom
count: fitted on the training clusters' images, scored on the test clusters' images (MAE [atoms], 95 % bootstrap over
test clusters), per class. The features come from the simulator, not from an image analysis, so each row is a bound
on what a method that measures them could reach:

- `outline`: the exact projected outline (convex hull of the projected atoms, the engine's `mask`): its area and the
  major and minor axes of its second-moment ellipse [px];
- `+ class, composition`: also the true class and the true Ag fraction (an Ag atom takes 1.5× the volume of a Co atom);
- `outline + class, composition of the shipped CNN`: the same trees (fitted with the true class and composition) fed
  the class and Ag fraction that the shipped chapter 06 pipeline (`agco_denoise`, then the `agco_net` ensemble, as
  `chiral-em nanoalloy` runs them) estimates from each noisy test image: what a perfect outline would give with
  today's composition estimate;
- `+ integrated contrast (clean | noisy)`: also the summed contrast 1 − I/I_bg inside the outline dilated by 6 px, I_bg
  the median outside it (a mass-thickness signal: the objective aperture removes high-angle scattering), on the
  clean or the noisy image, and the aperture [mrad] and log dose of the draw.

`python bench/agco_size_floor.py [--out results/bench/agco_size_floor.json]`"""
import hashlib, json, sys, time
from pathlib import Path
import numpy as np
from scipy import ndimage as ndi
from skimage.measure import regionprops
from sklearn.ensemble import HistGradientBoostingRegressor
from chiral_em.core import Chapter, load_arrays, project_root, write_json, versions
from chiral_em.sim import md

DILATE = 6          # region of the integrated contrast: the outline dilated by this many px [px]
N_BOOT = 1000

def chapter_split(label:np.ndarray, cfg, seed:int=0)->tuple:   # class per cluster, chapter 06's profile sizes
    "Chapter 06's split by cluster (cells 8 and 11): (test, validation, training) cluster indices, sorted."
    idx = np.nonzero(label != md.UNCLASSIFIED)[0]
    perm = np.random.default_rng([seed, 606]).permutation(idx)
    n_te, n_va = int(round(cfg.test_frac * len(idx))), int(round(cfg.val_frac * len(idx)))
    return np.sort(perm[:n_te]), np.sort(perm[n_te:n_te + n_va]), np.sort(perm[n_te + n_va:])

def chapter_data(seed:int=0):
    "Chapter 06's `cpu` clusters and images (from its cache) and its split by cluster, as the chapter draws it."
    ch = Chapter("06_agco", profile="cpu", seed=seed)
    cfg = ch.cfg
    md_kw = dict(t_quench=cfg.t_quench, t_therm=cfg.t_therm, t_hot=cfg.t_hot, n_atoms=tuple(cfg.n_atoms))
    key = hashlib.sha256(json.dumps([seed, md_kw], sort_keys=True).encode()).hexdigest()[:10]
    root = ch.data_dir / "cpu"
    cp = [root / f"md_{key}" / f"cluster_{i:06d}.npz" for i in range(cfg.n_clusters)]
    ip = [root / f"img_{key}_{cfg.out_px}_{cfg.n_draws}" / f"images_{i:06d}.npz" for i in range(cfg.n_clusters)]
    if not all(p.exists() for p in cp):
        sys.exit(f"chapter 06's cpu clusters are not in {root} (run `chiral-em reproduce --chapters 06_agco` first)")
    cl = md.load_clusters(cp)
    imaged = np.array([p.exists() for p in ip])
    cl = [c for c, i in zip(cl, imaged) if i]
    ims = [load_arrays(p) for p in ip if p.exists()]
    label = np.array([int(c["label"]) for c in cl])
    te, _, tr = chapter_split(label, cfg, seed)
    return cl, ims, label, te, tr

def validation_data(seed:int=0)->tuple:   # (ims, label, training ids, validation ids, n_atoms, x_ag, draws per cluster)
    "`chapter_data` with chapter 06's validation clusters (classifiable, neither test nor training) and the targets."
    cl, ims, label, te, tr = chapter_data(seed)
    va = np.array(sorted(set(np.nonzero(label != md.UNCLASSIFIED)[0]) - set(te) - set(tr)))
    n_atoms = np.array([int(c["n_atoms"]) for c in cl])
    x_ag = np.array([float(c["x_ag"]) for c in cl])
    return ims, label, tr, va, n_atoms, x_ag, len(ims[0]["dose"])

def write_validation_arms(name:str, arms:dict, tr, va, nd:int, t0:float, out:str=None):
    "A bench's arms scored on the validation clusters, to `out` or results/bench/`name`.json."
    out = Path(out) if out else project_root() / "results" / "bench" / f"{name}.json"
    write_json(out, dict(scored_on="validation clusters", n_train_clusters=int(len(tr)), n_val_clusters=int(len(va)),
                         images_per_cluster=int(nd), arms=arms, wall_s=time.time() - t0, versions=versions()))
    print("wrote", out)

def shipped_estimates(ims:list, ids)->tuple:   # p(Janus), size [atoms], Ag fraction, each (len(ids) * draws,)
    "The shipped chapter 06 pipeline on every noisy image of the clusters `ids`: U-Net denoiser, then the CNN ensemble."
    from chiral_em.models import load_model, find_model
    from chiral_em.nanoalloy import read_windows
    net, meta = load_model(find_model("agco_net"))
    den = load_model(find_model("agco_denoise"))[0]
    return read_windows(np.stack([a for i in ids for a in ims[i]["noisy"]]), net, meta, den)   # as the command reads it

def image_features(d:dict)->np.ndarray:   # one cluster's images → (draws, 7)
    "Outline area, axes; integrated contrast of the clean and the noisy image; aperture; log dose, per draw."
    m = d["mask"].astype(bool)
    rp = regionprops(m.astype(np.uint8))[0]
    reg = ndi.binary_dilation(m, iterations=DILATE)
    def contrast(a): return float((1 - a / np.median(a[~reg]))[reg].sum())
    return np.array([[m.sum(), rp.axis_major_length, rp.axis_minor_length, contrast(d["clean"][k]),
                      contrast(d["noisy"][k]), d["aperture"][k], np.log10(d["dose"][k])] for k in range(len(d["dose"]))])

ROWS = {"outline": [0, 1, 2],
        "outline + class": [0, 1, 2, "cls"],
        "outline + class, composition": [0, 1, 2, "cls", "x"],
        "+ integrated contrast (clean image)": [0, 1, 2, "cls", "x", 3, 5, 6],
        "+ integrated contrast (noisy image)": [0, 1, 2, "cls", "x", 4, 5, 6],
        "integrated contrast (noisy) + class, composition, no outline": ["cls", "x", 4, 5, 6]}

def main(out:str=None, seed:int=0):
    t0 = time.time()
    cl, ims, label, te, tr = chapter_data(seed)
    n_atoms = np.array([int(c["n_atoms"]) for c in cl])
    x_ag = np.array([float(c["x_ag"]) for c in cl])
    F = np.stack([image_features(d) for d in ims])                       # (clusters, draws, 7)
    nd = F.shape[1]
    def design(ids, cols):
        return np.c_[tuple(np.repeat(label[ids], nd) if c == "cls" else np.repeat(x_ag[ids], nd) if c == "x"
                           else F[ids, :, c].ravel() for c in cols)]
    y_tr, y_te = np.repeat(n_atoms[tr], nd), np.repeat(n_atoms[te], nd)
    cls_te, grp = np.repeat(label[te], nd), np.repeat(np.arange(len(te)), nd)
    rng = np.random.default_rng([seed, 5])
    boots = [np.concatenate([np.nonzero(grp == g)[0] for g in rng.integers(0, len(te), len(te))]) for _ in range(N_BOOT)]
    def scored(err):
        r = dict(mae=float(err.mean()), ci95=[float(v) for v in np.quantile([err[b].mean() for b in boots], [.025, .975])])
        for k, name in enumerate(md.CLASSES): r[name] = float(err[cls_te == k].mean())
        return r
    p_cnn, size_cnn, x_cnn = shipped_estimates(ims, te)
    res = {"train mean (baseline)": scored(np.abs(n_atoms[tr].mean() - y_te))}
    for name, cols in ROWS.items():
        m = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=0).fit(design(tr, cols), y_tr)
        res[name] = scored(np.abs(m.predict(design(te, cols)) - y_te))
        if name == "outline + class, composition":
            res["shipped CNN (its size head)"] = scored(np.abs(size_cnn - y_te))
            Xp = design(te, cols)
            Xp[:, 3], Xp[:, 4] = p_cnn > 0.5, x_cnn
            res["outline + class, composition of the shipped CNN"] = scored(np.abs(m.predict(Xp) - y_te))
            res["shipped CNN (its size head)"]["class_acc"] = float(((p_cnn > 0.5) == cls_te).mean())
            res["shipped CNN (its size head)"]["comp_mae"] = float(np.abs(x_cnn - np.repeat(x_ag[te], nd)).mean())
        print(f"{name}: test MAE {res[name]['mae']:.1f} [{res[name]['ci95'][0]:.1f}, {res[name]['ci95'][1]:.1f}] atoms "
              f"(core-shell {res[name]['core_shell']:.1f}, Janus {res[name]['janus']:.1f})", flush=True)
    within = F[label != md.UNCLASSIFIED][:, :, 3]
    summary = dict(goal_mae=25, paper_mae=33, n_train_clusters=int(len(tr)), n_test_clusters=int(len(te)),
                   images_per_cluster=int(nd), dilate_px=DILATE,
                   contrast_cv_within_cluster_clean=float(np.median(within.std(1) / np.abs(within.mean(1)))),
                   wall_s=time.time() - t0)
    print(summary)
    out = Path(out) if out else project_root() / "results" / "bench" / "agco_size_floor.json"
    write_json(out, dict(summary=summary, rows=res, features=dict((k, [str(c) for c in v]) for k, v in ROWS.items()),
                         versions=versions()))
    print("wrote", out)

if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None)

"""Views or draws? Chapter 06 images each cluster in **one** random orientation (one exit wave) and renders its five
images as five imaging draws (defocus, aberrations, dose) of that one view, so the CNN sees each training cluster from
one side only. This bench images the same clusters in **five** random orientations with one draw each (five exit
waves per cluster, `agco_image.image_cluster` with `n_draws=1` and seeds `[seed, i, 1000 + v]`), and trains the
chapter's CNN (`nanoalloy.train_agconet`, `cpu` width, epochs, batch, learning rate: the same number of images and
steps) on each kind of training set. Both are scored on the **validation** clusters (never the test clusters), on
both kinds of validation images, read in eight views as in the chapter; `n_seeds` training seeds per arm. Costs of
imaging are measured too (seconds per cluster on this machine's threads).

`python bench/agco_views.py [--seeds 2] [--out results/bench/agco_views.json]` (after chapter 06's `cpu` data exist)"""
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from agco_size_floor import chapter_data, write_validation_arms
from chiral_em.core import Chapter, standardize, load_arrays, save_arrays
from chiral_em.sim import md, agco_image
from chiral_em.nanoalloy import train_agconet, predict_agconet

N_VIEWS = 5

def view_images(cl:list, root:Path, seed:int, out_px:int)->list:   # per cluster: dict of (N_VIEWS, ...) arrays or None
    "Every cluster in `N_VIEWS` random orientations, one imaging draw each, cached per cluster in `root`."
    import dask
    from tqdm.auto import tqdm
    root.mkdir(parents=True, exist_ok=True)
    def one(i):
        p = root / f"views_{i:06d}.npz"
        if p.exists(): return load_arrays(p)
        try: vs = [agco_image.image_cluster(cl[i], [seed, i, 1000 + v], out_px, n_draws=1) for v in range(N_VIEWS)]
        except ValueError as e: return f"cluster {i}: {e}"
        d = {k: np.concatenate([v[k] for v in vs]) for k in ("clean", "noisy", "dose")}
        d["mask"] = np.stack([v["mask"] for v in vs])
        save_arrays(p, d)
        return d
    out = []
    for k in tqdm(range(0, len(cl), 16), desc="views"):
        out += dask.compute(*[dask.delayed(one)(i) for i in range(k, min(k + 16, len(cl)))], scheduler="threads")
    return [None if isinstance(r, str) else r for r in out]

def main(out:str=None, n_seeds:int=2, seed:int=0):
    t0 = time.time()
    ch = Chapter("06_agco", profile="cpu", seed=seed)
    cfg = ch.cfg
    cl, ims, label, te, tr = chapter_data(seed)
    va = np.array(sorted(set(np.nonzero(label != md.UNCLASSIFIED)[0]) - set(te) - set(tr)))
    t1 = time.time()
    views = view_images(cl, ch.data_dir / "cpu" / f"views_{seed}_{cfg.out_px}_{N_VIEWS}", seed, cfg.out_px)
    t_img = time.time() - t1
    have = np.array([v is not None for v in views])
    tr, va = tr[have[tr]], va[have[va]]             # clusters imaged in every orientation, in both arms
    print(f"{(~have).sum()} clusters did not fit in some orientation; {len(tr)} train, {len(va)} validation clusters")
    n_atoms = np.array([int(c["n_atoms"]) for c in cl])
    x_ag = np.array([float(c["x_ag"]) for c in cl])
    blank = np.zeros((N_VIEWS, cfg.out_px, cfg.out_px), np.float32)
    sets = {"one view, 5 draws": np.stack([[standardize(a) for a in d["noisy"]] for d in ims]).astype(np.float32),
            "5 views, 1 draw each": np.stack([[standardize(a) for a in (v["noisy"] if v is not None else blank)]
                                              for v in views]).astype(np.float32)}
    arms = {}
    for train_on, X in sets.items():
        for s in range(n_seeds):
            net, mu, sd, hist = train_agconet(X, label, n_atoms, x_ag, tr, va, seed, s, cfg.width, cfg.epochs,
                                              cfg.batch, cfg.lr)
            for read_on, Y in sets.items():
                nd = Y.shape[1]
                p, sz, c = predict_agconet(net, Y[va].reshape(-1, *Y.shape[-2:]), mu, sd, tta=True)
                yl, yn, yc = (np.repeat(a[va], nd) for a in (label, n_atoms, x_ag))
                r = arms.setdefault(f"train: {train_on} | validation images: {read_on}",
                                    dict(class_acc=[], size_mae=[], comp_mae=[]))
                r["class_acc"].append(float(((p > 0.5) == yl).mean()))
                r["size_mae"].append(float(np.abs(sz - yn).mean()))
                r["comp_mae"].append(float(np.abs(c - yc).mean()))
                print(train_on, "|", read_on, s, {k: round(v[-1], 4) for k, v in r.items()}, flush=True)
    for r in arms.values():
        r.update({f"{k}_mean": float(np.mean(r[k])) for k in ("class_acc", "size_mae", "comp_mae")})
    arms["imaging"] = dict(s_per_cluster_views=t_img / max(len(cl), 1), n_views=N_VIEWS, threads=ch.threads,
                           note="wall seconds per cluster for the five-view images (0 if cached)")
    write_validation_arms("agco_views", arms, tr, va, N_VIEWS, t0, out)

if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None, int(a[a.index("--seeds") + 1]) if "--seeds" in a else 2)

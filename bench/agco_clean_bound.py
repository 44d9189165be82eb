"""What does the shot noise cost chapter 06's CNN? The chapter's three-head CNN (`nanoalloy.train_agconet`, the `cpu`
profile's width, epochs, batch and learning rate, training seed 0) trained and tested once on the **clean** images
(the same draws without Poisson noise: detector MTF only) and once on the **noisy** images, on the chapter's clusters
and split (its cache; run the chapter first), read with the eight-view test-time augmentation as in the chapter.
Scores on the test clusters' images with 95 % bootstrap intervals over test clusters. The clean arm is the bound a
perfect denoiser could give this network: if its size MAE stays far above the goal (≤ 25 atoms), the network, not
the noise, limits the size estimate.

`python bench/agco_clean_bound.py [--out results/bench/agco_clean_bound.json]`"""
import sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).parent))
from agco_size_floor import chapter_data, N_BOOT
from chiral_em.core import Chapter, standardize, project_root, write_json, versions
from chiral_em.sim import md
from chiral_em.nanoalloy import train_agconet, predict_agconet

def main(out:str=None, seed:int=0):
    t0 = time.time()
    cfg = Chapter("06_agco", profile="cpu", seed=seed).cfg
    cl, ims, label, te, tr = chapter_data(seed)
    va = np.array(sorted(set(np.nonzero(label != md.UNCLASSIFIED)[0]) - set(te) - set(tr)))   # the chapter's validation
    n_atoms = np.array([int(c["n_atoms"]) for c in cl])
    x_ag = np.array([float(c["x_ag"]) for c in cl])
    nd = len(ims[0]["dose"])
    yl, yn, yc = (np.repeat(a[te], nd) for a in (label, n_atoms, x_ag))
    grp = np.repeat(np.arange(len(te)), nd)
    rng = np.random.default_rng([seed, 5])
    boots = [np.concatenate([np.nonzero(grp == g)[0] for g in rng.integers(0, len(te), len(te))]) for _ in range(N_BOOT)]
    def ci(err): return [float(v) for v in np.quantile([err[b].mean() for b in boots], [.025, .975])]
    res = {}
    for kind in ("clean", "noisy"):
        X = np.stack([[standardize(a) for a in d[kind]] for d in ims]).astype(np.float32)
        t1 = time.time()
        net, mu, sd, hist = train_agconet(X, label, n_atoms, x_ag, tr, va, seed, 0, cfg.width, cfg.epochs, cfg.batch,
                                          cfg.lr)
        p, s, c = predict_agconet(net, X[te].reshape(-1, *X.shape[-2:]), mu, sd, tta=True)
        ok, es, ec = ((p > 0.5) == yl).astype(float), np.abs(s - yn), np.abs(c - yc)
        res[kind] = dict(class_acc=float(ok.mean()), class_acc_ci95=ci(ok), size_mae=float(es.mean()),
                         size_mae_ci95=ci(es), comp_mae=float(ec.mean()), comp_mae_ci95=ci(ec),
                         best_epoch=int(np.argmin(hist)) + 1, train_s=time.time() - t1)
        print(kind, res[kind], flush=True)
    summary = dict(width=cfg.width, epochs=cfg.epochs, n_train_clusters=int(len(tr)), n_test_clusters=int(len(te)),
                   images_per_cluster=int(nd), tta=True, training_seed=0, wall_s=time.time() - t0)
    out = Path(out) if out else project_root() / "results" / "bench" / "agco_clean_bound.json"
    write_json(out, dict(summary=summary, arms=res, versions=versions()))
    print("wrote", out)

if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None)

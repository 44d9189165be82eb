"""Can a *measured* outline carry chapter 06's size estimate? `bench/agco_size_floor.py` found that the exact projected
outline of a cluster (area and ellipse axes), with its true class and Ag fraction, maps to the atom count within 20
atoms, and the chapter named "a learned outline" as the next step. Here the outline is learned and measured:

- a U-Net (`nets.UNet`, base 8, 3 levels) trained on the **training** clusters' images, as the shipped pipeline sees
  them (noisy image → shipped `agco_denoise`), to predict the engine's exact outline (`mask`: convex hull of the
  projected atoms); 1,500 steps of 8 full 128² images with random D4 views (seed 0);
- its outline (probability > 0.5, largest region) on the 1,190 test images: pixel IoU and relative area error per dose;
- gradient-boosted trees (scikit-learn) from outline features (area, ellipse axes, summed probability) to the atom
  count: fitted on the training clusters' *exact* outlines and fed measured ones; fitted on the training clusters'
  measured outlines; and a stacker fitted on the 119 **validation** clusters (never seen by the CNNs' weights) from
  the measured outline plus the shipped CNN ensemble's p(Janus), Ag fraction and size, and the log dose;
- how fast the exact-outline bound degrades when its three features carry a random relative error (log-normal, σ of
  3–20 %), to say how accurate an outline would have to be.

Size MAE [atoms] on the test clusters' images, 95 % bootstrap over test clusters. Needs chapter 06's `cpu` cache and
the shipped models. `python bench/agco_outline.py [--out results/bench/agco_outline.json]`

The class too (added 2026-12-07, after `bench/agco_md_length.py` found that the exact outline's elongation alone
classifies more test clusters than the shipped CNN): a logistic regression on the log ratio of the outline's ellipse
axes, for the exact outline (oracle; fitted on the training clusters) and the measured one (fitted on the training
clusters' images), and the measured elongation stacked with the shipped CNN's logit and the log dose (fitted on the
validation clusters). Accuracy on the 1,190 test images [95 % CI]: shipped CNN 0.903 [0.884, 0.923]; exact outline
0.924 [0.887, 0.954]; measured outline **0.792** [0.755, 0.827]; measured outline + CNN 0.892 [0.868, 0.911]. The
outline a network measures in these images does not carry the class as the exact one does, and adds nothing to the
CNN."""
import sys, time
from pathlib import Path
import numpy as np
import torch
from skimage.measure import regionprops, label as connected
from sklearn.ensemble import HistGradientBoostingRegressor
from agco_size_floor import chapter_data, chapter_split, shipped_estimates, N_BOOT
from chiral_em.core import Chapter, standardize, project_root, write_json, versions
from chiral_em.models import load_model, find_model
from chiral_em.nanoalloy import augment_d4, denoise_window
from chiral_em.nets import UNet, train_segmenter

STEPS, BATCH, BASE, LR = 1500, 8, 8, 3e-3
DOSE_BINS = [(20, 100), (100, 1000), (1000, 10001)]
NOISE = [0.0, 0.03, 0.05, 0.1, 0.2]

def outline_features(m:np.ndarray, prob:np.ndarray=None)->list:   # boolean outline → [area, major, minor (, Σ prob)]
    "Area [px] and second-moment ellipse axes [px] of the largest region of `m`; with `prob`, also its sum [px]."
    lab = connected(m)
    f = [0.0, 0.0, 0.0]
    if lab.max():
        r = max(regionprops(lab), key=lambda r: r.area)
        f = [float(r.area), r.axis_major_length, r.axis_minor_length]
    return f if prob is None else f + [float(prob.sum())]

def train_outline_net(Xs:np.ndarray, mask:np.ndarray, ids, seed:int=0)->UNet:
    "U-Net from standardised (denoised) images (clusters, draws, P, P) of clusters `ids` to their exact outline."
    rng = np.random.default_rng([seed, 17])
    items = [(i, k) for i in ids for k in range(Xs.shape[1])]
    def batch_fn(step):
        st = [augment_d4(np.stack([Xs[i, k], mask[i].astype(np.float32)]), rng)
              for i, k in (items[j] for j in rng.integers(0, len(items), BATCH))]
        return np.stack([s[:1] for s in st]), np.stack([s[1:] for s in st])
    torch.manual_seed(seed)
    net = UNet(1, 1, base=BASE, levels=3)
    train_segmenter(net, batch_fn, STEPS, lr=LR, progress=False, channels_last=True)
    return net

def class_rows(Fm, Fe, p_cnn, dose, label, tr, va, te, boots)->dict:   # {row: accuracy on the test images, CI}
    """Class from the outline's elongation (log major/minor axis) beside the shipped CNN: the exact outline (oracle),
    the measured one (logistic regression fitted on the training clusters' images), and the measured one stacked with
    the CNN's logit and the log dose (fitted on the validation clusters); 95 % bootstrap over test clusters."""
    from sklearn.linear_model import LogisticRegression
    nd = p_cnn.shape[1]
    elong = lambda F: np.log(np.maximum(F[..., 1], 1e-3) / np.maximum(F[..., 2], 1e-3))
    em, ee = elong(Fm), np.repeat(elong(Fe)[:, None], nd, 1)           # (clusters, draws)
    logit = np.log(np.clip(p_cnn, 1e-6, 1 - 1e-6) / np.clip(1 - p_cnn, 1e-6, 1))
    y = lambda ids: np.repeat(label[ids], nd)
    def fit(cols, ids): return LogisticRegression().fit(np.c_[tuple(c[ids].ravel() for c in cols)], y(ids))
    def scored(ok):
        return dict(acc=float(ok.mean()), ci95=[float(v) for v in np.quantile([ok[b].mean() for b in boots], [.025, .975])])
    stack = (em, logit, np.log10(dose))
    return {"shipped CNN ensemble": scored((p_cnn[te].ravel() > 0.5) == y(te)),
            "exact outline's elongation (oracle)": scored(                  # one row per cluster, as agco_md_length
                LogisticRegression().fit(ee[tr, :1], label[tr]).predict(ee[te].ravel()[:, None]) == y(te)),
            "measured outline's elongation": scored(fit((em,), tr).predict(em[te].ravel()[:, None]) == y(te)),
            "measured elongation + CNN logit + log dose (fitted on validation clusters)":
                scored(fit(stack, va).predict(np.c_[tuple(c[te].ravel() for c in stack)]) == y(te))}

def main(out:str=None, seed:int=0):
    t0 = time.time()
    torch.set_num_threads(2)
    cl, ims, label, te, tr = chapter_data(seed)
    va = chapter_split(label, Chapter("06_agco", profile="cpu", seed=seed).cfg, seed)[1]
    n_atoms = np.array([int(c["n_atoms"]) for c in cl])
    mask = np.stack([d["mask"] for d in ims]).astype(bool)
    dose = np.stack([d["dose"] for d in ims])
    nd = dose.shape[1]
    den = load_model(find_model("agco_denoise"))[0]
    ens = bool(load_model(find_model("agco_net"))[1].get("denoise_ensemble", False))
    Xs = np.stack([[standardize(denoise_window(den, a, ens)) for a in d["noisy"]] for d in ims]).astype(np.float32)
    t_den = time.time() - t0
    t1 = time.time()
    net = train_outline_net(Xs, mask, tr, seed)
    t_train = time.time() - t1
    with torch.no_grad():
        P = np.stack([torch.sigmoid(net(torch.from_numpy(x[:, None]))).numpy()[:, 0] for x in Xs])
    Fm = np.array([[outline_features(P[i, k] > 0.5, P[i, k]) for k in range(nd)] for i in range(len(P))])
    Fe = np.array([outline_features(m) for m in mask])
    iou = np.array([[(P[i, k] > 0.5)[mask[i]].sum() / max(((P[i, k] > 0.5) | mask[i]).sum(), 1) for k in range(nd)]
                    for i in range(len(P))])
    rel_area = Fm[..., 0] / np.maximum(Fe[:, None, 0], 1) - 1
    def outline_stats(m):   # test images selected by the boolean (test clusters, draws) array m
        return dict(iou=float(iou[te][m].mean()), area_rel_err_median=float(np.median(rel_area[te][m])),
                    area_rel_err_mad=float(np.median(np.abs(rel_area[te][m]))))
    outline = {f"{lo}–{hi}": outline_stats((dose[te] >= lo) & (dose[te] < hi)) for lo, hi in DOSE_BINS}
    outline["all"] = outline_stats(np.ones(dose[te].shape, bool))
    print("measured outline on test images:", outline, flush=True)

    y = lambda ids: np.repeat(n_atoms[ids], nd)
    grp = np.repeat(np.arange(len(te)), nd)
    rng = np.random.default_rng([seed, 5])
    boots = [np.concatenate([np.nonzero(grp == g)[0] for g in rng.integers(0, len(te), len(te))])
             for _ in range(N_BOOT)]
    def scored(pred):
        err = np.abs(pred - y(te))
        return dict(mae=float(err.mean()),
                    ci95=[float(v) for v in np.quantile([err[b].mean() for b in boots], [.025, .975])])
    gbm = lambda: HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=0)
    p_cnn, s_cnn, x_cnn = (a.reshape(-1, nd) for a in shipped_estimates(ims, np.arange(len(ims))))
    rows = {"training mean (baseline)": scored(np.full(len(te) * nd, n_atoms[tr].mean())),
            "shipped CNN ensemble (its size head)": scored(s_cnn[te].ravel())}
    g_exact = gbm().fit(np.repeat(Fe[tr], nd, 0), y(tr))
    rows["exact outline (bound, as agco_size_floor)"] = scored(g_exact.predict(np.repeat(Fe[te], nd, 0)))
    rows["trees fitted on exact outlines, fed measured ones"] = scored(g_exact.predict(Fm[te][..., :3].reshape(-1, 3)))
    g_meas = gbm().fit(Fm[tr].reshape(-1, 4), y(tr))
    rows["measured outline (trees fitted on training clusters' measured outlines)"] = scored(
        g_meas.predict(Fm[te].reshape(-1, 4)))
    def stack(ids): return np.c_[Fm[ids].reshape(-1, 4), p_cnn[ids].ravel(), x_cnn[ids].ravel(), s_cnn[ids].ravel(),
                                 np.log10(dose[ids]).ravel()]
    g_stack = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05, random_state=0,
                                            min_samples_leaf=20).fit(stack(va), y(va))
    rows["measured outline + shipped CNN's class, composition, size, dose (stacker fitted on validation clusters)"] = \
        scored(g_stack.predict(stack(te)))
    noise_rng = np.random.default_rng([seed, 23])
    sens = {f"{s:.2f}": scored(g_exact.predict(np.repeat(Fe[te], nd, 0) *
                                               np.exp(noise_rng.normal(0, s, (len(te) * nd, 3)))))["mae"]
            for s in NOISE}
    for k, v in rows.items(): print(f"{k}: {v['mae']:.1f} [{v['ci95'][0]:.1f}, {v['ci95'][1]:.1f}]", flush=True)
    classes = class_rows(Fm, Fe, p_cnn, dose, label, tr, va, te, boots)
    for k, v in classes.items(): print(f"class, {k}: {v['acc']:.3f} [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]", flush=True)
    print("exact outline with log-normal feature error (σ → MAE):", sens)
    summary = dict(goal_mae=25, paper_mae=33, steps=STEPS, batch=BATCH, base=BASE, n_train_clusters=int(len(tr)),
                   n_val_clusters=int(len(va)), n_test_clusters=int(len(te)), denoise_s=t_den, train_s=t_train,
                   wall_s=time.time() - t0)
    out = Path(out) if out else project_root() / "results" / "bench" / "agco_outline.json"
    write_json(out, dict(summary=summary, outline_test=outline, rows=rows, exact_outline_with_feature_error=sens,
                         class_rows=classes, versions=versions()))
    print(summary, "\nwrote", out)

if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None)

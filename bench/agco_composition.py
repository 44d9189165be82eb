"""Can chapter 06 read the composition (and with it the size) better from the image? Two readings, on chapter 06's
`cpu` clusters and images (its cache; run the chapter first) and its split by cluster, scored on the **validation**
clusters' images (the test clusters stay for the chapter's report):

- `contrast input`: the chapter's three-head CNN (`nanoalloy.train_agconet`, the `cpu` recipe, training seed 0,
  eight-view reading) fed the contrast in units of the incident beam (the noisy image − 1: the engine normalises the
  vacuum to 1; one scale, the training images' sd, for all) instead of each image standardised on its own, which
  keeps how strongly the cluster scatters (an Ag atom more than a Co atom); against the same CNN on standardised images;
- `power spectrum`: gradient-boosted trees (scikit-learn) on each image's radially averaged log power spectrum
  (Hann window, 59 bins from 0.05 to 1 Å⁻¹, where the Ag {111} and Co {111} spacings, 2.36 and 2.05 Å, would show)
  and the log dose, fitted on the training clusters' images; clean and noisy images.

Measured on 2 cores (2026-12-06; the CNN arms 2.5 min each):

| reading | size MAE [atoms] | composition MAE |
|---|---|---|
| training mean (baseline) | 227 | 0.193 |
| CNN, standardised noisy image (the chapter's input) | 85.8 | 0.138 |
| CNN, contrast in units of the beam | 85.6 | 0.139 |
| trees on the power spectrum, clean images | 137 | 0.148 |
| trees on the power spectrum, noisy images | 169 | 0.166 |

The CNN reads the same from both inputs, and the power spectrum holds less composition than the CNN finds on noisy
images: the short `cpu` quench leaves little lattice to read. Neither was adopted.

`python bench/agco_composition.py [--out results/bench/agco_composition.json]`"""
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from agco_size_floor import validation_data, write_validation_arms
from chiral_em.core import Chapter, standardize
from chiral_em.nanoalloy import train_agconet, predict_agconet

SAMPLING = 0.435   # [Å/px], the engine's (agco_image.IMAGE_RANGES)


def power_spectrum_features(a:np.ndarray, edges:np.ndarray)->np.ndarray:  # (len(edges) - 1,) log power per k bin
    "Radially averaged log power spectrum of one image (Hann window), in bins of k [1/Å]."
    P = a.shape[-1]
    f = np.fft.fftfreq(P, SAMPLING)
    k = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    kb = np.digitize(k, edges).ravel()
    F = np.abs(np.fft.fft2((a - a.mean()) * np.outer(np.hanning(P), np.hanning(P)))) ** 2
    n = len(edges) + 1
    s = np.bincount(kb, F.ravel(), n)[1:len(edges)] / np.maximum(np.bincount(kb, None, n)[1:len(edges)], 1)
    return np.log(s + 1e-12)


def main(out:str=None, seed:int=0):
    from sklearn.ensemble import HistGradientBoostingRegressor
    t0 = time.time()
    cfg = Chapter("06_agco", profile="cpu", seed=seed).cfg
    ims, label, tr, va, n_atoms, x_ag, nd = validation_data(seed)
    yn, yc = np.repeat(n_atoms[va], nd), np.repeat(x_ag[va], nd)
    res = dict(baseline=dict(size_mae=float(np.abs(n_atoms[tr].mean() - yn).mean()),
                             comp_mae=float(np.abs(x_ag[tr].mean() - yc).mean())))
    noisy = np.stack([d["noisy"] for d in ims]).astype(np.float32)
    flat = noisy - np.float32(1.)
    arms = {"cnn_standardised": np.stack([[standardize(a) for a in r] for r in noisy]).astype(np.float32),
            "cnn_contrast": flat / np.float32(flat[tr].std())}
    for name, X in arms.items():
        t1 = time.time()
        net, mu, sd, _ = train_agconet(X, label, n_atoms, x_ag, tr, va, seed, 0, cfg.width, cfg.epochs, cfg.batch, cfg.lr)
        _, s, c = predict_agconet(net, X[va].reshape(-1, *X.shape[-2:]), mu, sd, tta=True)
        res[name] = dict(size_mae=float(np.abs(s - yn).mean()), comp_mae=float(np.abs(c - yc).mean()), s=time.time() - t1)
        print(name, res[name], flush=True)
    edges = np.linspace(0.05, 1.0, 60)
    for kind in ("clean", "noisy"):
        X = np.array([[power_spectrum_features(a, edges) for a in d[kind]] for d in ims])
        X = np.concatenate([X, np.log10(np.array([d["dose"] for d in ims]))[..., None]], -1)
        r = {}
        for tname, y in (("size_mae", n_atoms), ("comp_mae", x_ag)):
            m = HistGradientBoostingRegressor(max_iter=400, learning_rate=0.05, random_state=0)
            m.fit(X[tr].reshape(-1, X.shape[-1]), np.repeat(y[tr], nd))
            r[tname] = float(np.abs(m.predict(X[va].reshape(-1, X.shape[-1])) - np.repeat(y[va], nd)).mean())
        res[f"trees_power_spectrum_{kind}"] = r
        print(kind, r, flush=True)
    write_validation_arms("agco_composition", res, tr, va, nd, t0, out)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[a.index("--out") + 1] if "--out" in a else None)

"""Chapter 05's learned zone-axis score: which training recipe, chosen on a selection split, reaches AUROC 0.95. Until
this bench the chapter trained `za_seeds` SpectrumNet replicates on 512 particles (× 8 renders, 1,500 steps, binary
cross-entropy on "tilt ≤ 2°") and shipped replicate 0; on a fresh draw of 768 test particles it scores AUROC 0.943
(bench/hrtem_za_test.py), short of the goal of 0.95. Candidate recipes, each trained with the chapter's code and
seeds (replicate k: torch seed `seed + 20 + k`, batches from `[seed, 13, k]`):

- `chapter`: the chapter's recipe, replicate 0 (reproduces the shipped network: checked against its test AUROC);
- `ensemble`: the mean probability of the chapter's `za_seeds` replicates;
- `more`: `--n-train` particles (the chapter's 512, then fresh ones, seed + 15000) and `--steps` steps, ensemble;
- `more-soft`: as `more` with a soft target, sigmoid((2° − tilt) / `--tau`), which keeps the order of tilts near the
  boundary that a hard label throws away, ensemble;

each read once, and averaged over `--tta` rotations × 2 mirrors of each spectrum (`+tta`). The recipe is chosen on a
selection split of `--n-sel` fresh particles (seed + 13000) by its AUROC there, and scored on a fresh test split of
`--n-test` particles (seed + 14000), used for nothing else; also shown: the chapter's 192 test particles and the 768
of hrtem_za_test (seed + 12000), on which the shipped network's AUROC was known before this script was written. All
splits are drawn and imaged as the chapter's test split (`ZA_SPEC`, `za_dose`, true MTF). AUROC for tilt ≤ `za_tol`,
percentile bootstrap over particles.

Measured in `cpu` (2 cores, 2026-12-05; selection split 384 particles, 195 on axis; test 768, 389 on axis), AUROC on
the selection split → test split [95 % CI]:

| recipe | selection | test | chapter's 192 | hrtem_za_test's 768 |
|---|---|---|---|---|
| chapter (= the shipped network, reproduced) | 0.970 | 0.950 [0.935, 0.963] | 0.956 | 0.943 |
| ensemble of 3 | 0.970 | 0.950 | 0.960 | 0.945 |
| ensemble of 3, + 8 rotations × 2 mirrors | 0.973 | 0.951 | 0.960 | 0.946 |
| 2,048 particles, 4,000 steps, ensemble | 0.978 | 0.965 [0.954, 0.976] | 0.970 | 0.958 |
| same, + rotations | 0.981 | 0.966 [0.954, 0.976] | 0.971 | 0.960 |
| 2,048, soft target (τ 0.5°), ensemble | 0.979 | 0.962 | 0.971 | 0.962 |
| **same, + rotations (chosen on selection)** | **0.981** | **0.965 [0.953, 0.975]** | 0.972 | 0.963 |

More training particles is what helps (+0.015 on test); the ensemble and the rotations add ≈ 0.001–0.003 each; the
soft target and the hard one tie (selection 0.9808 against 0.9807: the choice between them is a coin toss). The chosen
recipe's frame filter at p ≥ 0.523 (Youden's J on the selection split) keeps test particles with precision 0.891 and
recall 0.900. Training took 64 s per replicate of 1,500 steps and 171 s per replicate of 4,000; the data (drawing the
particles, the 2,048 × 8 training spectra and the splits' spectra) 22 min on a first run and 11 min with the particles
cached; the whole run 49 and 38 min. The two runs gave the same numbers to every digit.

The chapter's recipe here is the one this bench was run against (`--chapter-sizes`: validation 64, test 192,
training 512 particles, 1,500 steps: the `cpu` profile until this bench chose its successor).

`python bench/hrtem_za_recipe.py [--n-train 2048] [--steps 4000] [--tau 0.5] [--tta 8] [--profile cpu]`"""
import time
import numpy as np
import torch
from hrtem_col_sigma import bench_parser
from hrtem_za_test import report, za_namespace
from chiral_em.core import write_json, versions
from chiral_em.models import load_model, find_model
from chiral_em.nets import SpectrumEnsemble
from chiral_em.fourier import zone_axis_score


def tta_score(nets:list, S:np.ndarray, n_rot:int)->np.ndarray:  # SpectrumNets, (n, H, W) spectra, rotations (0: none)
    "Mean probability of `nets` over `n_rot` rotations × 2 mirrors of each spectrum: the chapter's `SpectrumEnsemble`."
    return zone_axis_score(SpectrumEnsemble.from_nets(nets, n_rot), S)


def train(g:dict, X:np.ndarray, target:np.ndarray, k:int, steps:int):  # namespace, spectra, targets, replicate, steps
    "Replicate `k` of the chapter's SpectrumNet training (cell of `def za_batches`) on spectra `X` with targets `target`."
    cfg, seed = g["cfg"], g["seed"]
    rng = np.random.default_rng([seed, 13, k])
    def batch(step):
        i, j = rng.integers(len(X), size=cfg.za_batch), rng.integers(X.shape[1], size=cfg.za_batch)
        return g["rotate_spectra"](X[i, j][:, None], rng), target[i, None].astype(np.float32)
    torch.manual_seed(seed + 20 + k)
    net = g["SpectrumNet"]()
    bce = lambda out, y: torch.nn.functional.binary_cross_entropy_with_logits(out, y)
    h = g["train_segmenter"](net, batch, steps, cfg.za_lr, desc=f"SpectrumNet #{k}", loss_fn=bce)
    assert np.isfinite(h).all()
    return net


if __name__ == "__main__":
    ap = bench_parser(__doc__, "hrtem_za_recipe.json")
    ap.add_argument("--n-train", type=int, default=2048, help="training particles of `more` (first 512: the chapter's)")
    ap.add_argument("--steps", type=int, default=4000, help="training steps of `more` and `more-soft`")
    ap.add_argument("--tau", type=float, default=0.5, help="width of the soft target [deg]")
    ap.add_argument("--tta", type=int, default=8, help="rotations of the test-time average (× 2 mirrors)")
    ap.add_argument("--n-sel", type=int, default=384, help="fresh selection particles")
    ap.add_argument("--n-test", type=int, default=768, help="fresh test particles")
    ap.add_argument("--n-bench", type=int, default=768, help="particles of hrtem_za_test's draw (its 768: all)")
    ap.add_argument("--chapter-sizes", type=int, nargs=4, default=[64, 192, 512, 1500],
                    metavar=("VAL", "TEST", "TRAIN", "STEPS"),
                    help="the chapter's zone-axis recipe this compares with (cpu before bench/hrtem_za_recipe.py)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    g = za_namespace(a.profile, a.seed, n_za=a.chapter_sizes[0], n_za_test=a.chapter_sizes[1],
                     n_za_train=a.chapter_sizes[2], za_steps=a.chapter_sizes[3])
    cfg, seed = g["cfg"], a.seed
    g["nets"] = {"MSD-net": load_model(find_model("particles_msd"))[0]}
    shipped, _ = load_model(find_model("zone_axis_spectrum"))
    draw = lambda n, s: g["cached_dataset"]("05_hrtem_za", g["generate_structures"], n, seed + s, g["ZA_SPEC"],
                                            g["VERSION"], shard_size=8)
    sets = dict(sel=(draw(a.n_sel, 13000), 13), test=(draw(a.n_test, 14000), 14), chapter_test=(g["za"], 7),
                bench_768=(draw(a.n_bench, 12000), 7), chapter_val=(g["za_val"], 8))
    S, on = {}, {}
    for name, (ds, key) in sets.items():
        S[name] = g["za_scores"](ds, key)[2]
        on[name] = ds["tilt"] <= cfg.za_tol
        print(f"{name}: {len(on[name])} particles ({int(on[name].sum())} on axis), "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    extra = draw(a.n_train - len(g["za_train"]["tilt"]), 15000)
    X = np.concatenate([g["za_train_spectra"](g["za_train"], 12), g["za_train_spectra"](extra, 15)])
    tilt = np.r_[g["za_train"]["tilt"], extra["tilt"]]
    n0 = len(g["za_train"]["tilt"])
    t_data = time.perf_counter() - t0
    print(f"training spectra {X.shape} in {t_data:.0f} s since start", flush=True)
    hard = (tilt <= cfg.za_tol).astype(np.float32)
    soft = (1 / (1 + np.exp((tilt - cfg.za_tol) / a.tau))).astype(np.float32)
    nets, train_s = {}, {}
    for name, (Xr, y, steps) in dict(chapter=(X[:n0], hard[:n0], cfg.za_steps), more=(X, hard, a.steps),
                                     more_soft=(X, soft, a.steps)).items():
        t1 = time.perf_counter()
        nets[name] = [train(g, Xr, y, k, steps) for k in range(cfg.za_seeds)]
        train_s[name] = (time.perf_counter() - t1) / cfg.za_seeds
        print(f"{name}: {cfg.za_seeds} × {steps} steps on {len(Xr)} particles, {train_s[name]:.0f} s each", flush=True)
    recipes = {"shipped": [shipped], "chapter": nets["chapter"][:1], "ensemble": nets["chapter"],
               "more": nets["more"], "more-soft": nets["more_soft"]}
    scores = {f"{r}{'+tta' if t else ''}": {s: tta_score(n, S[s], t) for s in S}
              for r, n in recipes.items() for t in (0, a.tta)}
    thr = {r: g["youden_threshold"](on["sel"], sc["sel"]) for r, sc in scores.items()}   # filter threshold, on sel
    res = {r: {s: report(g, on[s], p, seed + 30, thr[r]) for s, p in sc.items()} for r, sc in scores.items()}
    cands = [r for r in res if not r.startswith("shipped")]
    chosen = max(cands, key=lambda r: res[r]["sel"]["auroc"])
    for r in res:
        print(f"{r:16s} " + "  ".join(f"{s} {v['auroc']:.4f}" for s, v in res[r].items())
              + ("   ← chosen on sel" if r == chosen else ""), flush=True)
    t = res[chosen]["test"]
    print(f"{chosen} on test: AUROC {t['auroc']:.4f} {np.round(t['auroc_ci95'], 4).tolist()}; filter at {thr[chosen]:.3g} "
          f"(Youden on sel): precision {t['precision']:.3f}, recall {t['recall']:.3f}", flush=True)
    write_json(a.out, dict(profile=a.profile, seed=seed, tol_deg=cfg.za_tol, za_dose=cfg.za_dose,
                           n_train=dict(chapter=n0, more=len(X)), steps=dict(chapter=cfg.za_steps, more=a.steps),
                           tau_deg=a.tau, tta_rotations=a.tta, seeds=cfg.za_seeds,
                           splits={s: dict(n=int(len(on[s])), n_on=int(on[s].sum())) for s in on},
                           split_seeds=dict(sel=seed + 13000, test=seed + 14000, bench_768=seed + 12000,
                                            extra_train=seed + 15000),
                           chosen_on_sel=chosen, threshold_on_sel=thr, auroc=res, train_s=train_s, data_s=t_data,
                           wall_s=time.perf_counter() - t0, versions=versions()))
    print("wrote", a.out)

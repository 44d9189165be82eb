"""Chapter 05c's tracking evaluation at `cpu` scale with the shipped `liquid_unet` (the cpu-profile network, seed 0):
3 test movies (seed 0, i = 0..2) × 30 frames × 256² px per flux, exactly the chapter's movies, with and without
`filter_tracks(min_length=3, max_step=3)` (chosen on validation movies of seed 777), scored against the mid-exposure
(`x`, `y`) and the exposure-averaged (`x_exp`, `y_exp`) ground truth. Also `--val`: the same on validation movies.

`python bench/eval_track_05c.py [--val] [--out results/bench/track_eval.json]`"""
import sys, json, time, warnings
import numpy as np, pandas as pd, torch
from chiral_em.sim.liquid_cell import simulate_movie
from chiral_em.track import detect_frames, detect_frames_otsu, link, filter_tracks, evaluate, load_tracker

FLUXES, NMOV, T, SIZE = [50., 500., 1000., 1500.], 3, 30, 256
FILTER = dict(min_length=3, max_step=3.)


def main(argv=None):
    warnings.filterwarnings("ignore")
    argv = sys.argv[1:] if argv is None else argv
    seed = 777 if "--val" in argv else 0
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    torch.set_num_threads(1)
    net, meta = load_tracker()
    rows = []
    for fl in FLUXES:
        for i in range(NMOV):
            mv = simulate_movie(seed, i, n_frames=T, size=SIZE, flux=fl)
            gt, md = pd.DataFrame(mv["gt"]), mv["meta"]["edge_px"] / 2
            gts = dict(mid=gt, exp=gt.assign(x=gt.x_exp, y=gt.y_exp))
            t0 = time.perf_counter()
            feats = detect_frames(net, mv["frames"], workers=2, chunk=8)
            fps = T / (time.perf_counter() - t0)
            tr = link(feats)
            ot = link(detect_frames_otsu(mv["frames"]))
            for meth, h in [("U-Net", tr), ("U-Net + filter", filter_tracks(tr, **FILTER)),
                            ("Otsu baseline", ot), ("Otsu baseline + filter", filter_tracks(ot, **FILTER))]:
                for gname, g in gts.items():
                    rows.append(dict(flux=fl, movie=i, method=meth, gt=gname, fps=fps, **evaluate(g, h, md)))
            print(fl, i, flush=True)
    r = pd.DataFrame(rows)
    s = r.groupby(["gt", "method", "flux"])[["mota", "idf1", "rmse_px", "orient_err_deg", "id_switches"]].agg(["mean", "std"])
    pd.set_option("display.width", 250)
    print(s.round(3).to_string())
    if out:
        res = dict(seed=seed, fluxes=FLUXES, n_movies=NMOV, n_frames=T, size=SIZE, filter=FILTER,
                   model_profile=meta.get("profile"), rows=r.to_dict("records"))
        from pathlib import Path
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, indent=1))
    return r


if __name__ == "__main__": main()

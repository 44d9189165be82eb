"""Validation of chapter 05c's track filter: the choices of `filter_tracks(min_length, max_step)` and of the linker
memory, made on validation movies only (seed 777: disjoint from the chapter's test movies, seed 0, and its training
movies, seed 10_000 + seed), with the shipped `liquid_unet` (the cpu-profile network).

12 movies: 4 per flux at 50, 500 and 1,500 e⁻/Å²/s, 30 frames of 256² px. Grid: min_length {0, 3, 5, 10} frames,
max_step {off, 3, 5} px/frame, memory {2, 5} frames, edge exclusion {off, half a particle}; scored against the
exposure-averaged (`x_exp`, `y_exp`) and the mid-exposure (`x`, `y`) ground truth.
`python bench/track_validation.py [N_PER_FLUX]` prints the grid means (single-threaded, ~10 min on one core)."""
import itertools, warnings
import numpy as np, pandas as pd, torch
from chiral_em.sim.liquid_cell import simulate_movie
from chiral_em.track import detect_frames, link, filter_tracks, evaluate, load_tracker


def edge_cut(t, size, frac=0.5):
    "Drop rows whose centre is within `frac` × particle size (√ median area) of the frame edge."
    h = frac * np.sqrt(t.area.median()) if "area" in t else frac * 30
    return t[(t.x >= h) & (t.y >= h) & (t.x <= size - 1 - h) & (t.y <= size - 1 - h)]


def main(n_per_flux:int=4):
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    net, _ = load_tracker()
    res = []
    for fl in (50., 500., 1500.):
        for i in range(n_per_flux):
            mv = simulate_movie(777, i, n_frames=30, size=256, flux=fl)
            gt, md = pd.DataFrame(mv["gt"]), mv["meta"]["edge_px"] / 2
            gts = dict(mid=gt, exp=gt.assign(x=gt.x_exp, y=gt.y_exp))
            feats = detect_frames(net, mv["frames"], workers=1)
            for mem in (2, 5):
                tr = link(feats, memory=mem)
                for edge, min_len, max_step in itertools.product((False, True), (0, 3, 5, 10), (None, 3., 5.)):
                    t = filter_tracks(tr, min_len, max_step)
                    for gname, g in gts.items():
                        h, gg = (edge_cut(t, 256), edge_cut(g.assign(area=feats.area.median()), 256)) if edge else (t, g)
                        res.append(dict(flux=fl, i=i, memory=mem, edge=edge, min_length=min_len, max_step=max_step or 0,
                                        gt=gname, **evaluate(gg, h, md)))
            print(fl, i, flush=True)
    r = pd.DataFrame(res)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 400)
    print(r.groupby(["gt", "memory", "edge", "min_length", "max_step"])[["mota", "idf1", "rmse_px", "precision",
                                                                          "recall"]].mean().round(4).to_string())
    return r


if __name__ == "__main__":
    import sys
    main(*(int(a) for a in sys.argv[1:2]))

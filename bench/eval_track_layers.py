"""`chiral-em track --layers` end to end on two-layer engine movies: the shipped float16 `liquid_layers_unet` detects
both layers (`layers.predicted_layers`; with the network's centre channel that is `layers.centre_layers`), all
detections are linked together, and a track's layer is the majority layer of its detections. Test movies
`simulate_movie(TEST_SEED, i, n_layers=2, coverage2=c)`, c ~ U(0.15, 0.75), the crystals of chapter 05c §6's test
(seed 40,000 since the engine rests upper cubes on lower ones; a crystal does not depend on the number of frames),
10 frames of 256² px per flux. Each ground-truth particle is matched to the
nearest detection in every frame (exposure-averaged position, Hungarian, within 0.3 × the lattice spacing); scores
per particle-frame: the fraction matched (detection), the fraction of matched ones whose *track* has the right layer
(assignment), both together (end to end), per layer, and the number of tracks per true particle (fragmentation), with
a 95 % bootstrap interval over movies; and end to end per overlap-fraction bin (chapter 05c §6's bins; pooled over
particle-frames, bootstrap over movies). Baseline: every particle called "lower" (the majority
layer; `baseline_all_lower`). Nothing here was tuned: the command's defaults throughout.

`python bench/eval_track_layers.py [N_MOVIES] [--out results/bench/track_layers.json]`"""
import sys, time, tempfile, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
import tifffile
from scipy.optimize import linear_sum_assignment
from chiral_em.core import project_root, write_json, versions
from chiral_em.sim.liquid_cell import simulate_movie
from chiral_em.track import track
from chiral_em.layers import particle_table, OVERLAP_BINS, TEST_SEED   # chapter 05c's test crystals (seed 0)

FLUXES, T, SIZE = (500., 1000., 1500.), 10, 256


def score_movie(mv:dict, tracks:pd.DataFrame)->pd.DataFrame:
    "Per ground-truth particle and frame: layer, matched (a detection within 0.3 lattice spacings), its track's layer."
    gt, r_max, rows = pd.DataFrame(mv["gt"]), 0.3 * mv["meta"]["lattice_px"], []
    for f, a in gt.groupby("frame"):
        b = tracks[tracks.frame == f]
        pred = np.full(len(a), -1)
        if len(b):
            d = np.hypot(a.x_exp.to_numpy()[:, None] - b.x.to_numpy()[None],
                         a.y_exp.to_numpy()[:, None] - b.y.to_numpy()[None])
            r, c = linear_sum_assignment(np.where(d < r_max, d, 1e6))
            ok = d[r, c] < r_max
            pred[r[ok]] = b.layer.to_numpy()[c[ok]]
        ov = np.full(len(a), np.nan)   # overlap fraction (area under the other layer), as chapter 05c §6 bins it
        if mv.get("labels") is not None:
            pt = particle_table(mv["labels"][f]).set_index(["layer", "label"]).overlap
            ov = pt.reindex(list(zip(a.layer, a.id + 1))).to_numpy()
        rows.append(pd.DataFrame(dict(frame=f, layer=a.layer.to_numpy(), pred=pred, overlap=ov)))
    out = pd.concat(rows, ignore_index=True)
    out.attrs["tracks_per_particle"] = tracks.id.nunique() / gt.id.nunique()
    return out

def boot(per_movie:list, n:int=2000, seed:int=0)->list:
    v = np.asarray(per_movie, float)
    m = v[np.random.default_rng(seed).integers(0, len(v), (n, len(v)))].mean(1)
    return [float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))]


def pooled(df:pd.DataFrame, n:int=2000, seed:int=0)->dict:
    "Fraction end to end over all particle-frames of `df`, with a 95 % bootstrap over its movies (clusters)."
    g = df.assign(ok=df.pred == df.layer).groupby("movie").ok.agg(["sum", "count"]).to_numpy(float)
    idx = np.random.default_rng(seed).integers(0, len(g), (n, len(g)))
    b = g[idx, 0].sum(1) / g[idx, 1].sum(1)
    return dict(mean=float(g[:, 0].sum() / g[:, 1].sum()), ci95=[float(np.percentile(b, 2.5)),
                float(np.percentile(b, 97.5))], n=int(g[:, 1].sum()))


def main(n_movies:int=4, out:str|None=None)->dict:
    warnings.filterwarnings("ignore")
    torch.set_num_threads(2)
    rows, t0 = [], time.time()
    tmp = Path(tempfile.mkdtemp())
    for i in range(n_movies):
        cov = float(np.random.default_rng([TEST_SEED, i, 2]).uniform(0.15, 0.75))
        for fl in FLUXES:
            mv = simulate_movie(TEST_SEED, i, n_frames=T, size=SIZE, n_layers=2, coverage2=cov, flux=fl)
            f = tmp/f"m{i}_{fl:g}.tif"
            tifffile.imwrite(f, mv["frames"], imagej=True, resolution=(1 / mv["meta"]["pixel_size"],) * 2,
                             metadata={"unit": "nm", "finterval": mv["meta"]["frame_time"]})
            track([str(f)], out=str(tmp/f"o{i}_{fl:g}"), layers="liquid_layers_unet")
            tr = pd.read_csv(tmp/f"o{i}_{fl:g}"/"trajectories.csv")
            sc = score_movie(mv, tr)
            rows.append(sc.assign(movie=i, flux=fl, coverage2=cov, tracks_per_particle=sc.attrs["tracks_per_particle"]))
    df = pd.concat(rows, ignore_index=True)
    res = {}
    for fl, g in df.groupby("flux"):
        per = g.groupby("movie").apply(lambda m: pd.Series(dict(
            detected=(m.pred >= 0).mean(), assigned=(m.pred[m.pred >= 0] == m.layer[m.pred >= 0]).mean(),
            end_to_end=(m.pred == m.layer).mean(), baseline_all_lower=(m.layer == 0).mean(),
            upper_end_to_end=(m.pred[m.layer == 1] == 1).mean(), lower_end_to_end=(m.pred[m.layer == 0] == 0).mean(),
            tracks_per_particle=m.tracks_per_particle.iloc[0])))
        res[f"{fl:g}"] = {k: dict(mean=float(per[k].mean()), ci95=boot(per[k])) for k in per.columns}
    names = [f"{a:g}-{min(b, 1):g}" for a, b in zip(OVERLAP_BINS, OVERLAP_BINS[1:])]
    df["bin"] = pd.cut(df.overlap, list(OVERLAP_BINS), right=False, labels=names)
    by_overlap = {str(b): pooled(d) for b, d in df.groupby("bin", observed=True)}
    rec = dict(per_flux=res, by_overlap=by_overlap, n_movies=n_movies, n_frames=T, size=SIZE, n_particles=int(len(df)),
               wall_s=round(time.time() - t0, 1), versions=versions())
    write_json(Path(out) if out else project_root()/"results"/"bench"/"track_layers.json", rec)
    return rec


if __name__ == "__main__":
    a = sys.argv[1:]
    o = a[a.index("--out") + 1] if "--out" in a else None
    n = int(a[0]) if a and a[0].isdigit() else 4
    r = main(n, o)
    for fl, v in r["per_flux"].items(): print(fl, {k: round(x["mean"], 3) for k, x in v.items()})
    print("by overlap", {b: round(v["mean"], 3) for b, v in r["by_overlap"].items()})
    print("wall", r["wall_s"], "s")

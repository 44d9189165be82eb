"""How confident is the shipped HAADF catalyst network on each real set? Chapter 05 ships `particles_haadf` with a
per-image foreground threshold (`otsu_factor` × the Otsu threshold of the image's own foreground map) instead of one
fixed threshold; its prose explains the choice by how differently confident the network's foreground maps are on the
two real sets. This bench measures that: the Otsu threshold of the shipped network's foreground map
(`catalyst.catalyst_maps`, channel 0) on every image of chapter 05's calibration and report halves (genc HAADF files
of at most `haadf_max_side` px, even / odd positions; the tomogram's `train` / `val` slices), as median and
interquartile range, and the threshold the shipped rule then uses. Needs `../shared/data`; no training.

Measured in `cpu` (2 cores, 2026-12-06, about 2 min): median Otsu threshold 0.154 on the genc calibration and report
halves (IQR 0.10–0.29 and 0.09–0.31), 0.404 and 0.401 on the tomogram's train and val slices (IQR 0.38–0.42): the
shipped × 1.75 gives per-image thresholds of ≈ 0.27 on genc and ≈ 0.70 on the slices.

`python bench/haadf_otsu_levels.py [--profile cpu]`"""
import numpy as np
from chiral_em.core import get_profile, write_json, versions
from hrtem_col_sigma import bench_parser


def main():
    a = bench_parser(__doc__, "haadf_otsu_levels.json").parse_args()
    from skimage.filters import threshold_otsu
    from chiral_em import models
    from chiral_em.catalyst import catalyst_maps
    from chiral_em.datasets import available, load
    cfg = get_profile("05_hrtem", a.profile)
    GC, GT2 = "genc_catalyst_np_yolo", "genc_pt_alumina_haadf_tomo"
    if not (available(GC) and available(GT2)): raise SystemExit(f"skipped: ../shared/data/{GC} or {GT2} not found")
    net, meta = models.load_model(models.find_model("particles_haadf"))
    genc = [s for s in load(GC) if s.meta.get("contrast") != "bf"        # chapter 05's selection and halves
            and max(s.image.data.shape) <= cfg.haadf_max_side][:2 * cfg.haadf_n_real]
    tomo = {p: load(GT2, p, limit=cfg.haadf_n_real) for p in ("train", "val")}
    sets = {"genc calibration": genc[0::2], "genc report": genc[1::2], "tomo train": tomo["train"], "tomo val": tomo["val"]}
    out = dict(profile=a.profile, model_meta={k: meta.get(k) for k in ("threshold", "otsu_factor", "h")},
               versions=versions(), sets={})
    f = meta.get("otsu_factor")
    for name, samples in sets.items():
        t = np.array([threshold_otsu(catalyst_maps(s.image.data, net, meta)[0][0]) for s in samples])
        r = out["sets"][name] = dict(n=len(t), median=float(np.median(t)), iqr=np.percentile(t, [25, 75]).tolist(),
                                     per_image=t.round(4).tolist())
        if f: r["shipped_threshold_median"] = float(np.median(np.clip(f * t, 0.05, 0.95)))
        print(name, r["n"], "median Otsu", round(r["median"], 3), "IQR", np.round(r["iqr"], 3).tolist(), flush=True)
    write_json(a.out, out)


if __name__ == "__main__":
    main()

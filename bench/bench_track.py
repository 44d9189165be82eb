"""Benchmark the liquid-cell tracker (`chiral_em.track`): frames/s of detection (U-Net + watershed + measurement) on a
simulated 256² movie with 1 and 2 worker threads (chunks of 8 frames), and the time of trackpy linking.

`python bench/bench_track.py [N_FRAMES]` writes results/bench/track.json. Uses the shipped `liquid_unet` model when
present (else an untrained U-Net of the same architecture: same cost). Torch runs 1 thread per worker."""
import sys, time
import numpy as np, pandas as pd, torch
from chiral_em.core import project_root, write_json, versions
from chiral_em.sim.liquid_cell import simulate_movie
from chiral_em.track import detect_frames, link, load_tracker
from chiral_em.nets import UNet


def main(n_frames:int=32)->dict:
    torch.set_num_threads(1)
    try: net, meta = load_tracker()
    except FileNotFoundError: net, meta = UNet(1, 2, base=16, levels=3), dict(note="untrained U-Net (no shipped model)")
    mv = simulate_movie(0, 0, n_frames=n_frames, size=256, flux=1000.)
    out = dict(n_frames=n_frames, size=256, chunk=8, model_profile=meta.get("profile"), cores=__import__("os").cpu_count())
    detect_frames(net, mv["frames"][:8], workers=1)   # warm-up
    for w in (1, 2):
        t0 = time.perf_counter()
        feats = detect_frames(net, mv["frames"], workers=w, chunk=8)
        out[f"frames_per_s_{w}_workers"] = n_frames / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    tr = link(feats)
    out["link_s"] = time.perf_counter() - t0
    out["n_detections"], out["n_tracks"] = len(feats), int(tr.id.nunique())
    out["versions"] = versions()
    write_json(project_root()/"results"/"bench"/"track.json", out)
    print({k: v for k, v in out.items() if k != "versions"})
    return out


if __name__ == "__main__": main(*(int(a) for a in sys.argv[1:2]))

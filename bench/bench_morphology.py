"""Throughput of `chiral-em morphology` end to end (read, segment, measure, CNN, re-simulation Jaccard, cluster, write
labels/CSVs and, by default, figures) on real micrographs of 1-4 Mpx. Each run is the command in a fresh process;
wall time, CPU time of the whole process tree (the workers and their start-up included), peak RSS of the tree and
the load average while it ran are recorded. The machine may be shared with other jobs: the load average says how
much, and CPU time is the number that does not depend on it.

Sets (built from ../shared/data, skipped when absent):
  stach_3x3   2 mosaics of 3 x 3 stach BF-TEM crops (1536^2 px, 2.4 Mpx) with particles of 20-80 px: few particles
              per megapixel (the segmenter finds tens per mosaic), so pixels, not particles, set the time
  temseg_3x3  2 mosaics of 3 x 3 temseg frames (1107^2 px, 1.2 Mpx), ~7,000 particles of 5-8 px each
  temseg_5x5  1 mosaic of 5 x 5 temseg frames (1845^2 px, 3.4 Mpx), ~20,000 particles
  temseg_3x3_x6  6 more 3 x 3 mosaics (other frames): enough images for two workers to share
  temseg_up4  16 temseg frames each enlarged 4x (bicubic; 1476^2 px, 2.2 Mpx), ~700-800 particles of 20-32 px each:
              ordinary micrographs (hundreds of particles of a few tens of px), which no shared set has as such; 16
              images, so that the command's start (about 4 s: imports, the worker cluster) is shared as in a real batch
  genc_2048   2 genc HAADF catalyst images, 2048^2 px (4.2 Mpx): segmentation speed only (the classical segmenter
              segments the support, so it finds few "particles")
Runs: 1 and 2 workers, figures on and off. `--baseline DIR` also times an older checkout's command (1 worker, figures
on) on the same files and stores it under "before". `--ab DIR` instead alternates the older checkout's command and
this one (2 workers, figures on, `--repeats` times each) and stores both series and their ratio under "ab": a speed-up
measured on one day, whatever the machine's speed that day (a shared machine's CPU time per task varies 2-3x between
days).
Writes results/bench/morphology.json."""
import argparse, json, os, subprocess, sys, tempfile, threading, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CHIRAL_EM_SHARED_DATA", ROOT.parent / "shared" / "data"))
ENV1 = dict(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", CHIRAL_EM_THREADS="1")


def _grey(path):
    from chiral_em.emio import read_image, to_gray
    return to_gray(read_image(path).data)


def mosaic(files, n:int)->np.ndarray:
    "An n x n mosaic of the grey images `files` (equal shapes), 8-bit, each tile stretched on its own."
    tiles = [(_grey(f) * 255 + 0.5).astype(np.uint8) for f in files[:n * n]]
    return np.vstack([np.hstack(tiles[r * n:(r + 1) * n]) for r in range(n)])


def build_sets(tmp:Path)->dict:
    "The benchmark's image files, per set (mosaics written as PNG into tmp)."
    from PIL import Image
    sets = {}
    stach = sorted((SHARED / "stach_insitu_sintering_bftem").glob("*/images/*.png"))
    if len(stach) >= 36:
        d = tmp / "stach_3x3"
        d.mkdir()
        for k in range(2):
            Image.fromarray(mosaic(stach[9 * k:9 * k + 9], 3)).save(d / f"stach_mosaic_{k}.png")
        sets["stach_3x3"] = sorted(d.glob("*.png"))
    frames = [SHARED / "temseg_au_hrtem" / "raw" / f"frame_{i}.png" for i in range(1, 195)]
    if all(f.exists() for f in frames[:161]):
        for name, n, starts in (("temseg_3x3", 3, (0, 9)), ("temseg_5x5", 5, (18,)),
                                ("temseg_3x3_x6", 3, (43, 52, 61, 70, 79, 88))):
            d = tmp / name
            d.mkdir()
            for s in starts: Image.fromarray(mosaic(frames[s:s + n * n], n)).save(d / f"temseg_{n}x{n}_{s}.png")
            sets[name] = sorted(d.glob("*.png"))
        d = tmp / "temseg_up4"
        d.mkdir()
        for s in range(100, 180, 5):
            g = (_grey(frames[s]) * 255 + 0.5).astype(np.uint8)
            Image.fromarray(np.asarray(Image.fromarray(g).resize((4 * g.shape[1], 4 * g.shape[0]), Image.BICUBIC))
                            ).save(d / f"temseg_up4_{s}.png")
        sets["temseg_up4"] = sorted(d.glob("*.png"))
    genc = [SHARED / "genc_catalyst_np_yolo" / "images" / f for f in ("PtW6.jpg", "Pd_alumina1.jpg")]
    if all(f.exists() for f in genc): sets["genc_2048"] = genc
    return sets


def _tree(pid:int)->list:
    import psutil
    try:
        p = psutil.Process(pid)
        return [p, *p.children(recursive=True)]
    except psutil.Error: return []


def run_cli(files, out:Path, pythonpath:str, extra:list)->dict:
    """Run the command once in a fresh process (started in `out`'s parent, so that only PYTHONPATH decides which
    chiral_em it imports): wall time; CPU of the process tree, the sum over its processes (the command's own included)
    of each one's last seen user+system time, sampled every 0.1 s (getrusage would miss workers forked by a fork
    server, which are not our children, and would count twice workers the command forks and waits for; a process's
    last 0.1 s may be missed); peak RSS of the tree; load average."""
    import psutil
    env = dict(os.environ, PYTHONPATH=pythonpath, **ENV1)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", "import sys; from chiral_em.morphology import main; sys.exit(main())",
           *map(str, files), "--out", str(out), "--pixel-size", "1", *extra]
    loads, peak, cpus, t0 = [], [0], {}, time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=out.parent)
    def watch():
        while p.poll() is None:
            rss = 0
            for q in _tree(p.pid):
                try:
                    t = q.cpu_times()
                    cpus[(q.pid, q.create_time())] = t.user + t.system
                    rss += q.memory_info().rss
                except psutil.Error: pass
            peak[0] = max(peak[0], rss)
            loads.append(os.getloadavg()[0])
            time.sleep(0.1)
    th = threading.Thread(target=watch, daemon=True)
    th.start()
    log = p.communicate()[0]
    wall = time.perf_counter() - t0
    th.join()
    if p.returncode != 0: raise RuntimeError(f"{' '.join(cmd[3:])} failed ({p.returncode}):\n{log[-3000:]}")
    s = json.loads((out / "summary.json").read_text())
    cpu_own = max((v for (pid, _), v in cpus.items() if pid == p.pid), default=0.0)   # the command's process
    cpu = sum(cpus.values())                                                          # + its workers and helpers
    n = s["n_particles"]
    return dict(images=s["n_images"], pixels=int(sum(np.prod(_grey(f).shape) for f in files)), particles=n,
                wall_s=round(wall, 2), cpu_s=round(cpu, 2), cpu_s_main_process=round(cpu_own, 2),
                particles_per_min_wall=round(60 * n / wall), particles_per_cpu_s=round(n / cpu, 1),
                particles_per_cpu_min=round(60 * n / cpu), images_per_s=round(s["n_images"] / wall, 4),
                analysis_s=s["seconds"], analysis_particles_per_min=s["particles_per_min"],
                figures=len(s["figures"]), clusters=s["clusters"], skipped=len(s["skipped"]),
                peak_rss_mb=round(peak[0] / 2 ** 20), load_avg_mean=round(float(np.mean(loads)), 2) if loads else None,
                load_avg_max=round(float(np.max(loads)), 2) if loads else None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", help="root of an older checkout whose command is timed as 'before'")
    ap.add_argument("--baseline-label", default="before", help="what the baseline is (e.g. a commit)")
    ap.add_argument("--sets", nargs="+", help="only these sets")
    ap.add_argument("--baseline-sets", nargs="+", default=["temseg_3x3", "stach_3x3", "genc_2048", "temseg_up4"])
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "morphology.json"))
    ap.add_argument("--runs", nargs="+", default=["1-on", "1-off", "2-on", "2-off"],
                    help="workers-figures combinations, e.g. 1-on 2-off")
    ap.add_argument("--keep", action="store_true", help="keep the other runs already in --out (add to them)")
    ap.add_argument("--ab", help="root of an older checkout: alternate its command and this one (2 workers, figures on)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each command with --ab")
    a = ap.parse_args(argv)
    out_json = Path(a.out)
    old = json.loads(out_json.read_text()) if out_json.exists() else {}
    res = dict(machine=dict(cpus=os.cpu_count(), load_avg_at_start=list(os.getloadavg()),
                            note="shared machine: other jobs ran at the same time; see load_avg_* per run"),
               goal="30,000 particles/min on 2 cores (issue 13); paper 001: 6,270/min on a 6-core i7",
               sets=old.get("sets", {}), runs=old.get("runs", {}) if a.keep else {}, before=old.get("before", {}),
               ab=old.get("ab", {}))
    def save():
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(res, indent=1) + "\n")
    has_workers = bool(a.baseline) and "workers" in (Path(a.baseline) / "chiral_em" / "morphology.py").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = build_sets(tmp)
        if a.sets: sets = {k: v for k, v in sets.items() if k in a.sets}
        if not sets:
            print("no shared data (../shared/data): nothing to benchmark")
            return 0
        for name, files in sets.items():
            res["sets"][name] = [str(f.relative_to(SHARED)) if str(f).startswith(str(SHARED)) else f.name
                                 for f in files]
            if a.ab:
                series = dict(before=[], after=[])
                for rep in range(a.repeats):
                    for label, root in (("before", a.ab), ("after", str(ROOT))):
                        r = run_cli(files, tmp / "out" / f"ab_{name}_{label}_{rep}", root, ["--workers", "2"])
                        series[label].append(r)
                        print("ab", name, label, rep, r, flush=True)
                mean = {k: float(np.mean([r["wall_s"] for r in v])) for k, v in series.items()}
                cpu = {k: float(np.mean([r["cpu_s"] for r in v])) for k, v in series.items()}
                res["ab"][name] = dict(baseline=a.baseline_label, runs="2 workers, figures on, alternating", **series,
                                       wall_s_mean=mean, cpu_s_mean=cpu,
                                       wall_ratio_after_before=round(mean["after"] / mean["before"], 3),
                                       cpu_ratio_after_before=round(cpu["after"] / cpu["before"], 3))
                save()
                continue
            for run in a.runs:
                workers, figures = int(run[0]), run.endswith("on")
                key = f"{name}/workers={workers}/figures={'on' if figures else 'off'}"
                extra = ["--workers", str(workers)] + ([] if figures else ["--no-figures"])
                r = run_cli(files, tmp / "out" / key.replace("/", "_"), str(ROOT), extra)
                res["runs"][key] = r
                print(key, r, flush=True)
                save()
            if a.baseline and name in a.baseline_sets:    # one worker where the older command has the option
                r = run_cli(files, tmp / "out" / f"{name}_before", a.baseline,
                            ["--workers", "1"] if has_workers else [])
                res["before"][f"{name}/workers=1/figures=on"] = dict(r, code=a.baseline_label)
                print("before", name, r, flush=True)
                save()
    save()
    print(f"wrote {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

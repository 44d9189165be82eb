"""Benchmark: CPU milliseconds per 800 px image for the YOLO detector, PyTorch vs ONNX Runtime (2 threads), with and
without the mirror-symmetric average, plus `chiral-em detect` end to end on 1024 px images, and what the shipped
per-detection novelty score (chapter 03: an Outlier-Exposure CNN on each detection's crop) adds to the command.

Uses the architecture of the shipped `bowtie_yolo` (chapter 02, cpu profile: YOLOv8, depth 0.33, width 0.125) with
fresh weights (speed does not depend on the weights). Goal (issue 11): <= 150 ms per 800 px image on 2 cores."""
import os, tempfile, time
from pathlib import Path
import numpy as np
from chiral_em.core import project_root, write_json, versions, import_ultralytics, set_threads
from chiral_em import detect as D

SIZE, THREADS = 800, 2

def ms(fn, n):
    fn()
    t = time.perf_counter()
    for _ in range(n): fn()
    return 1000*(time.perf_counter() - t)/n

def novelty_cost(n_images=4, size=1024):
    "Seconds per image of `detect_files` with the shipped models, novelty on and off (simulated bowtie scenes)."
    from chiral_em.sim import sem
    tmp = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(2)
    from PIL import Image
    for i in range(n_images):
        sc = sem.sample_scene(rng, (size, size), 30.0, 8, ("bowtie",), n_debris=4)
        Image.fromarray(sem.render_scene(sc, rng).image).save(tmp/f"scene_{i}.png")
    res = {}
    for key, nov in (("novelty_off", False), ("novelty_on", True)):
        D.detect_files([tmp], tmp/key, overlays=False, threads=THREADS, novelty=nov)   # warm-up
        t = time.perf_counter()
        s = D.detect_files([tmp], tmp/key, overlays=False, threads=THREADS, novelty=nov)
        res[f"{key}_s_per_image"] = round((time.perf_counter() - t)/n_images, 3)
        res[f"{key}_detections"] = int(sum(s["per_class"].values()))
        res[f"{key}_reference"] = Path((s["novelty"] or {}).get("reference") or "none").name
    return dict(res, images=n_images, size_px=size)

def main(n=20):
    set_threads(THREADS)
    ul = import_ultralytics()
    tmp = Path(tempfile.mkdtemp())
    y = D.model_yaml(tmp, ["bowtie_R", "bowtie_L"], "yolov8", 0.33, 0.125)
    m = ul.YOLO(str(y))
    pt = tmp/"bench.pt"
    m.save(str(pt))
    D.write_meta(pt, names=["bowtie_R", "bowtie_L"], imgsz=SIZE)
    onnx = D.export_onnx(pt, SIZE)
    x1 = np.random.default_rng(0).random((1, 3, SIZE, SIZE), dtype=np.float32)
    x2 = np.concatenate([x1, x1[..., ::-1]])
    out = dict(imgsz=SIZE, threads=THREADS, params=sum(p.numel() for p in m.model.parameters()))
    for name, path in (("torch", pt), ("onnx", onnx)):
        det = D.Detector(path, imgsz=SIZE, threads=THREADS)
        out[f"{name}_ms"] = round(ms(lambda: det.raw(x1), n), 1)
        out[f"{name}_mirror_tta_ms"] = round(ms(lambda: det.raw(x2), n), 1)
    img = (np.random.default_rng(1).random((1024, 1024))*255).astype(np.uint8)
    det = D.Detector(onnx, threads=THREADS)
    out["detect_image_1024px_tta_ms"] = round(ms(lambda: D.detect_image(det, img, conf=0.25), n//2), 1)
    out["detect_files"] = novelty_cost()
    out.update(load=os.getloadavg(), versions=versions(), goal_ms=150, paper_gpu_ms=[20, 30])
    write_json(project_root()/"results"/"bench"/"detect.json", out)
    print(out)

if __name__ == "__main__": main()

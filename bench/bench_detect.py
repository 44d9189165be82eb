"""Benchmark: CPU milliseconds per 800 px image for the YOLO detector, PyTorch vs ONNX Runtime (2 threads), with and
without the mirror-symmetric average, plus `chiral-em detect` end to end on 1024 px images.

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
    out.update(load=os.getloadavg(), versions=versions(), goal_ms=150, paper_gpu_ms=[20, 30])
    write_json(project_root()/"results"/"bench"/"detect.json", out)
    print(out)

if __name__ == "__main__": main()

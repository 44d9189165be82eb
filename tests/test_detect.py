"Detector tool: chirality-aware mirroring, exact mirror equivariance, ee statistics, the `chiral-em detect` command."
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from chiral_em import detect as D

NAMES = ["bowtie_R", "bowtie_L"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    "An untrained narrow YOLOv8, as .pt and .onnx, with a threshold low enough that it boxes something."
    from yolo_fixtures import tiny_detector
    return tiny_detector(tmp_path_factory.mktemp("yolo"), conf=0.001)


def test_mirror_swap_swaps_classes_and_mirrors_boxes():
    from chiral_em.core import import_ultralytics
    import_ultralytics()
    from ultralytics.utils.instance import Instances
    img = np.zeros((32, 64, 3), np.uint8)
    img[4:8, 2:10] = 255
    boxes = np.array([[6/64, 6/32, 8/64, 4/32], [0.5, 0.5, 0.1, 0.1]], np.float32)
    lab = dict(img=img, cls=np.array([[0.0], [1.0]], np.float32),
               instances=Instances(boxes.copy(), normalized=True, bbox_format="xywh"))
    out = D.MirrorSwap(1.0, [1, 0])(lab)
    assert out["cls"][:, 0].tolist() == [1.0, 0.0]
    np.testing.assert_allclose(out["instances"].bboxes[:, 0], 1 - boxes[:, 0], atol=1e-6)
    assert out["img"][4:8, 54:62].min() == 255 and out["img"][4:8, 2:10].max() == 0


def test_swap_index_and_hands():
    assert D.swap_index(NAMES) == [1, 0]
    assert D.swap_index(["x_R", "kayak", "x_L"]) == [2, 1, 0]
    assert D.hand_of(["x_R", "kayak", "L"]) == [1, 0, -1]


@pytest.mark.parametrize("size", [64, 128, 256])
def test_mirror_perm_is_an_involution(size):
    p = D.mirror_perm(size)
    assert (p[p] == np.arange(len(p))).all() and len(np.unique(p)) == len(p)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_symmetrize_is_exactly_equivariant(seed):
    "Whatever two raw outputs: symmetrize(a, b) mirrored equals symmetrize(b, a) with the classes swapped."
    size, rng = 64, np.random.default_rng(seed)
    n = len(D.mirror_perm(size))
    a, b = rng.random((1, 6, n), np.float32)*size, rng.random((1, 6, n), np.float32)
    a[:, 4:], b[:, :4] = rng.random((1, 2, n)), rng.random((1, 4, n))*size
    s1, s2 = D.symmetrize(a, b, size, [1, 0]), D.symmetrize(b, a, size, [1, 0])
    p = D.mirror_perm(size)
    np.testing.assert_allclose(s1[0, 4, :], s2[0, 5, p], rtol=1e-6)       # p(R | x) = p(L | mirror x)
    np.testing.assert_allclose(s1[0, 0, :], size - s2[0, 0, p], rtol=1e-5, atol=1e-3)


def test_detections_of_a_mirrored_image_are_mirrored(tiny_model):
    pt, onnx = tiny_model
    det = D.Detector(onnx, threads=1)
    img = (np.random.default_rng(3).random((128, 128))*255).astype(np.uint8)
    a = D.detect_array(det, D.to_unit(img), conf=0.001, mirror_tta=True)
    b = D.detect_array(det, D.to_unit(img[:, ::-1].copy()), conf=0.001, mirror_tta=True)
    assert len(a) == len(b) > 0
    np.testing.assert_allclose(np.sort(a.scores[:, 0]), np.sort(b.scores[:, 1]), atol=1e-6)  # p(R|x) = p(L|mirror x)
    bm = np.c_[128 - b.boxes[:, 2], b.boxes[:, 1], 128 - b.boxes[:, 0], b.boxes[:, 3]]   # b's boxes mirrored back
    np.testing.assert_allclose(np.sort(a.boxes, 0), np.sort(bm, 0), atol=1e-2)


def test_onnx_matches_torch(tiny_model):
    pt, onnx = tiny_model
    x = np.random.default_rng(0).random((1, 3, 128, 128), dtype=np.float32)
    np.testing.assert_allclose(D.Detector(pt, threads=1).raw(x), D.Detector(onnx, threads=1).raw(x), atol=1e-3,
                               rtol=1e-3)


def test_ee_interval_and_correction_cover_the_truth():
    rng, covered = np.random.default_rng(0), 0
    for k in range(40):
        p = [0.0, 0.25, 0.5, 0.65, 0.9][k % 5]
        hands = rng.random((30, 8)) < p
        called = np.where(hands, rng.random(hands.shape) < 0.8, rng.random(hands.shape) > 0.7)
        cnt = np.stack([called.sum(1), (~called).sum(1)], 1)
        r = D.corrected_ee(cnt, 800, 1000, 700, 1000, n_boot=500, rng=rng)
        true = 2*hands.mean() - 1
        covered += r["lo"] - 1e-9 <= true <= r["hi"] + 1e-9
    assert covered >= 34, covered                 # nominal 95 %: ≥ 85 % of 40 sets
    e = D.ee_interval(50, 50, method="exact")
    assert e["ee"] == 0 and e["lo"] < 0 < e["hi"]


def test_detect_command_writes_outputs_and_skips_bad_files(tiny_model, tmp_path):
    from PIL import Image
    pt, onnx = tiny_model
    src = tmp_path/"in"
    src.mkdir()
    Image.fromarray((np.random.default_rng(1).random((100, 140))*255).astype(np.uint8)).save(src/"a.png")
    (src/"broken.tif").write_bytes(b"no tiff")
    rc = D.main([str(src), "--out", str(tmp_path/"out"), "--model", str(onnx), "--no-second-stage"])
    assert rc == 0
    s = json.loads((tmp_path/"out"/"summary.json").read_text())
    assert s["images"] == 1 and any("broken.tif" in p for p, _ in s["skipped"])
    assert (tmp_path/"out"/"labels"/"a.txt").exists() and (tmp_path/"out"/"overlays"/"a.png").exists()
    assert (tmp_path/"out"/"detections.csv").read_text().startswith("path,")
    assert D.main([str(src), "--out", str(tmp_path/"o2"), "--model", str(tmp_path/"none.onnx")]) == 1


def test_match_and_summarize():
    t = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    d = D.Detections(np.array([[0, 0, 10, 10], [21, 21, 30, 30]], np.float32), np.array([0.9, 0.8], np.float32),
                     np.array([0, 1]), np.zeros((2, 2), np.float32))
    r = D.score_image(d, t, np.array([1, 1]), [1, -1])
    assert (r["tp"], r["fp"], r["fn"]) == (2, 0, 0) and r["confusion"].tolist() == [[1, 1], [0, 0]]
    s = D.summarize([r])
    assert s["precision"] == 1 and s["hand_acc"] == 0.5


def test_shipped_detector_runs():
    "The packaged detector (chapter 02, cpu profile) loads with its metadata and runs; its second stage exists."
    from chiral_em.models import find_model, weights_dir
    if not (weights_dir()/"bowtie_yolo.onnx").exists(): pytest.skip("no shipped bowtie_yolo.onnx yet (chapter 02, cpu)")
    det = D.Detector(find_model("bowtie_yolo", ".onnx"), threads=1)
    assert det.names == NAMES and 0 < det.meta["conf"] < 1 and det.meta["pixel_size_nm"] > 0
    y = det.raw(np.zeros((1, 3, det.imgsz, det.imgsz), np.float32))
    assert y.shape[:2] == (1, 4 + len(NAMES)) and np.isfinite(y).all()
    if det.meta.get("second_stage"): assert D.load_second_stage(det) is not None
    assert (weights_dir()/"bowtie_yolo.onnx").stat().st_size < 16*2**20   # width 0.25 (YOLOv8n width): ~12 MB

"Image I/O: every supported format round-trips with its calibration; every kind of bad input gets its named error."
import numpy as np
import pytest
import tifffile
from PIL import Image

from chiral_em.core import shared_data
from chiral_em.emio import ImageReadError, iter_images, read_image, write_label_tif, write_tif
from dm_writer import write_dm

RNG = np.random.default_rng(0)
IMG = RNG.random((37, 53))


# ---- good files -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_tif_dtypes_and_imagej_calibration(tmp_path, dtype):
    a = (IMG*200).astype(dtype)
    write_tif(tmp_path/"a.tif", a, pixel_size=0.25)
    im = read_image(tmp_path/"a.tif")
    assert im.data.dtype == np.float32 and im.data.shape == (37, 53)
    np.testing.assert_array_equal(im.data, a.astype(np.float32))
    assert im.pixel_size == pytest.approx(0.25, rel=1e-6)


def test_tif_micron_unit_converted_to_nm(tmp_path):
    tifffile.imwrite(tmp_path/"um.tif", IMG.astype(np.float32), imagej=True, resolution=(1/0.002, 1/0.002), metadata={"unit": "micron"})
    assert read_image(tmp_path/"um.tif").pixel_size == pytest.approx(2.0, rel=1e-5)


def test_tif_dpi_only_is_not_a_calibration(tmp_path):
    tifffile.imwrite(tmp_path/"dpi.tif", (IMG*255).astype(np.uint8), resolution=(72, 72), resolutionunit="INCH")
    assert read_image(tmp_path/"dpi.tif").pixel_size is None


def test_fei_tif_metadata_pixel_width():
    # the FEI reader is tifffile's; we only map its PixelWidth [m] to nm
    from chiral_em.emio import _tif_pixel_size
    class TF: fei_metadata = {"Scan": {"PixelWidth": 1.5e-9}}
    class Page: tags = {}
    px, src = _tif_pixel_size(TF(), Page())
    assert (px, src) == (pytest.approx(1.5), "fei")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp"])
def test_pil_formats(tmp_path, ext):
    Image.fromarray((IMG*255).astype(np.uint8)).save(tmp_path/f"a{ext}")
    im = read_image(tmp_path/f"a{ext}")
    assert im.data.shape == (37, 53) and im.pixel_size is None


def test_png_16bit_and_rgb_to_grey(tmp_path):
    Image.fromarray((IMG*60000).astype(np.uint16)).save(tmp_path/"g16.png")
    assert read_image(tmp_path/"g16.png").data.max() > 255
    rgb = np.stack([(IMG*255).astype(np.uint8)]*3, -1)
    Image.fromarray(rgb).save(tmp_path/"rgb.png")
    im = read_image(tmp_path/"rgb.png")
    assert im.data.shape == (37, 53)
    np.testing.assert_allclose(im.data, rgb[..., 0].astype(np.float32), atol=0.51)


@pytest.mark.parametrize("ext", [".dm3", ".dm4"])
@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.int16, np.uint8])
def test_digitalmicrograph(tmp_path, ext, dtype):
    a = (IMG*100).astype(dtype)
    write_dm(tmp_path/f"a{ext}", a, pixel_size=0.25, unit="nm")
    im = read_image(tmp_path/f"a{ext}")
    np.testing.assert_array_equal(im.data, a.astype(np.float32))
    assert im.pixel_size == pytest.approx(0.25)


def test_dm_in_angstrom_and_micron(tmp_path):
    write_dm(tmp_path/"a.dm4", IMG.astype(np.float32), pixel_size=0.5, unit="Å")
    assert read_image(tmp_path/"a.dm4").pixel_size == pytest.approx(0.05)
    write_dm(tmp_path/"b.dm3", IMG.astype(np.float32), pixel_size=0.5, unit="µm")
    assert read_image(tmp_path/"b.dm3").pixel_size == pytest.approx(500)


def test_label_tif_is_uint16_and_keeps_size(tmp_path):
    lab = np.zeros((37, 53), np.int64); lab[5:10, 5:20] = 3; lab[20:30, 30:50] = 700
    write_label_tif(tmp_path/"l.tif", lab, pixel_size=1.5)
    raw = tifffile.imread(tmp_path/"l.tif")
    assert raw.dtype == np.uint16 and raw.shape == lab.shape and set(np.unique(raw)) == {0, 3, 700}
    with pytest.raises(ValueError, match="0..65535"): write_label_tif(tmp_path/"x.tif", lab + 70000)


# ---- the bad-input corpus -----------------------------------------------------------------------------------------
def truncate(path, frac=0.6):
    b = path.read_bytes(); path.write_bytes(b[:int(len(b)*frac)])
    return path


def make_corpus(d):
    "Every kind of bad input, in every format where it can occur: {file name: expected kind}."
    big = RNG.random((256, 256))
    exp = {}
    def add(name, kind): exp[name] = kind; return d/name
    # empty files
    for ext in (".tif", ".png", ".jpg", ".dm3", ".dm4"): add(f"empty{ext}", "empty").write_bytes(b"")
    # truncated files
    write_tif(add("trunc.tif", "truncated"), big.astype(np.float32)); truncate(d/"trunc.tif")
    Image.fromarray((big*255).astype(np.uint8)).save(add("trunc.png", "truncated")); truncate(d/"trunc.png")
    Image.fromarray((big*255).astype(np.uint8)).save(add("trunc.jpg", "truncated"), quality=95); truncate(d/"trunc.jpg")
    for ext in (".dm3", ".dm4"): write_dm(add(f"trunc{ext}", "truncated"), big.astype(np.float32), 0.2); truncate(d/f"trunc{ext}")
    # corrupt / not an image: random bytes and text under image extensions
    for ext in (".tif", ".png", ".jpg", ".dm3", ".dm4"):
        add(f"noise{ext}", "corrupt").write_bytes(RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes())
        add(f"text{ext}", "corrupt").write_text("this is a lab notebook entry, not an image\n" * 20)
    # unsupported formats
    add("notes.txt", "unsupported").write_text("hello")
    add("spectrum.msa", "unsupported").write_text("#FORMAT: EMSA/MAS")
    # NaN / Inf and constant images
    nan = big.astype(np.float32); nan[3, 4] = np.nan
    write_tif(add("nan.tif", "nonfinite"), nan)
    write_dm(add("nan.dm4", "nonfinite"), nan, 0.2)
    inf = big.astype(np.float32); inf[0, 0] = np.inf
    write_tif(add("inf.tif", "nonfinite"), inf)
    write_tif(add("const.tif", "constant"), np.full((64, 64), 7, np.uint16))
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(add("black.png", "constant"))
    write_dm(add("const.dm3", "constant"), np.ones((64, 64), np.float32), 0.2)
    # wrong number of dimensions
    tifffile.imwrite(add("stack.tif", "not_2d"), (RNG.random((5, 32, 32))*255).astype(np.uint8))
    tifffile.imwrite(add("line.tif", "not_2d"), (RNG.random((1, 64))*255).astype(np.uint8))
    return exp


def test_every_bad_input_gets_its_named_error(tmp_path):
    exp = make_corpus(tmp_path)
    for name, kind in exp.items():
        with pytest.raises(ImageReadError) as ei: read_image(tmp_path/name)
        e = ei.value
        assert e.kind == kind, f"{name}: expected {kind}, got {e.kind}: {e.reason}"
        assert name in str(e) and e.reason in str(e), str(e)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageReadError, match="file not found") as ei: read_image(tmp_path/"nope.tif")
    assert ei.value.kind == "missing"
    with pytest.raises(ImageReadError, match="folder") as ei: read_image(tmp_path)
    assert ei.value.kind == "unsupported"


def test_batch_over_corpus_keeps_going_and_reports_each(tmp_path):
    exp = make_corpus(tmp_path)
    good = {"good.tif": (RNG.random((40, 40))*1000).astype(np.uint16), "good2.tif": RNG.random((30, 20)).astype(np.float32)}
    for n, a in good.items(): write_tif(tmp_path/n, a, pixel_size=0.5)
    write_dm(tmp_path/"good3.dm4", RNG.random((16, 16)).astype(np.float32), 0.1)
    batch = iter_images([tmp_path, tmp_path/"missing.tif"], verbose=False)
    read = [im.path.name for im in batch]
    assert read == ["good.tif", "good2.tif", "good3.dm4"]
    skipped = {p.name: r for p, r in batch.skipped}
    assert set(skipped) == set(exp) | {"missing.tif"}
    assert skipped["missing.tif"] == "file not found"
    rep = batch.report()
    assert rep.startswith("3 read, ") and all(n in rep for n in exp)


# ---- real data (public EM images beside the project) ----------------------------------------------------------------
REAL = ["temseg_au_hrtem", "stach_insitu_sintering_bftem", "chen_patchy_nanoprism_tem"]


@pytest.mark.parametrize("name", REAL)
def test_reads_real_micrographs(name):
    d = shared_data(name)
    if d is None: pytest.skip(f"../shared/data/{name} not found: real-data checks need the shared data folder beside the project")
    files = sorted(p for p in d.rglob("*") if p.suffix.lower() in (".tif", ".tiff", ".png", ".jpg", ".dm3", ".dm4"))[:8]
    assert files, f"no images found under {d}"
    batch = iter_images(files, verbose=False)
    ims = list(batch)
    assert ims, batch.report()
    for im in ims: assert im.data.ndim == 2 and np.isfinite(im.data).all()


def test_units_convert_in_one_place():
    from chiral_em.emio import EMImage, angstrom_to_nm, nm_to_angstrom
    assert nm_to_angstrom(0.2) == 2.0 and angstrom_to_nm(2.0) == 0.2 and nm_to_angstrom(None) is None
    assert EMImage(np.zeros((2, 2), np.float32), 0.5).sampling == 5.0
    assert EMImage(np.zeros((2, 2), np.float32)).sampling is None

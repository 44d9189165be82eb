"Data bands and scale bars (annotations, sim.bars): detection and exclusion on rendered bars, label reading, real images."
import numpy as np
import pytest

from chiral_em import datasets
from chiral_em.annotations import (DEGEORGE_LABELS_NM, ScaleBarError, exclude_annotations, fill_annotations,
                                   find_annotations, parse_label, pixel_size_for, read_scale_bar, load_reader)
from chiral_em.emio import to_gray
from chiral_em.segment import segment_default
from chiral_em.sim.bars import STYLES, FONTS, HELD_OUT_FONTS, annotate, format_length, series_125


def micrograph(seed=0, n=320, dark=True):
    "Noisy bright-field-like field: dark discs on a bright background, none near the corners (where labels go)."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:n, :n]
    x = np.full((n, n), 0.8, np.float32)
    for cy, cx, r in rng.uniform([80, 80, 6], [n - 80, n - 80, 16], (12, 3)):
        x[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = 0.35
    x = np.clip(x + rng.normal(0, 0.04, x.shape), 0, 1).astype(np.float32)
    return x if dark else 1 - x


EDGE_NAMES = ["bottom", "top", "left", "right"]


def masked_scores(img, a)->tuple:  # clean micrograph, its `annotate` result
    "(fraction of the pixels the annotation changed that are masked, fraction of the micrograph masked beyond it, found)."
    drawn = a.mask & (np.abs(a.image - to_gray(img)) > 0.05)           # the pixels the annotation changed
    ann = find_annotations(a.image)
    return ann.mask[drawn].mean(), (ann.mask & ~a.mask).mean(), ann, drawn


@pytest.fixture(scope="module")
def reader():
    return load_reader()


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("edge", EDGE_NAMES)
def test_rendered_annotation_found_and_excluded(style, edge):
    if style == "gatan" and edge in ("left", "right"): pytest.skip("Gatan bars sit in corners, not on an edge")
    img = micrograph(STYLES.index(style) * 4 + EDGE_NAMES.index(edge))  # fixed seeds: not hash(), which varies per process
    a = annotate(img, np.random.default_rng(1), style=style, edge=edge,
                 corner={"bottom": "bottom-left", "top": "top-right"}.get(edge, "bottom-left"))
    found, over, ann, drawn = masked_scores(img, a)
    assert found >= 0.99, f"{style}/{edge}: annotation not masked"
    assert over < 0.02, f"{style}/{edge}: too much micrograph masked"
    assert (ann.band is None) == (style == "gatan")
    crop, sl, m = exclude_annotations(a.image, ann)
    assert crop.shape[0] * crop.shape[1] >= 0.7 * img.size
    assert not (drawn[sl] & ~m).any(), "annotation pixels left in what is analysed"


@pytest.mark.parametrize("corner", ["bottom-left", "bottom-right", "top-left", "top-right"])
def test_gatan_label_on_an_opaque_box_is_masked_to_the_box(corner):
    "A bar and label on an opaque backing: the whole backing is masked, and little beyond it (not the padding for glyphs)."
    misses, overs = [], []
    for s in range(12):
        img = micrograph(100 + s)
        a = annotate(img, np.random.default_rng(s), style="gatan", corner=corner, box=True)
        found, over = masked_scores(img, a)[:2]
        misses.append(1 - found); overs.append(over)
    assert np.mean(np.array(misses) > 0.01) <= 0.2, f"{corner}: backing missed in {np.mean(np.array(misses) > 0.01):.0%}"
    assert max(overs) < 0.01, f"{corner}: up to {max(overs):.1%} of the micrograph masked beyond the box"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dark", [True, False])
def test_clean_images_have_no_annotation(seed, dark):
    assert not find_annotations(micrograph(seed, dark=dark)).mask.any()


def test_segmenter_ignores_a_data_band():
    img = micrograph(3)
    a = annotate(img, np.random.default_rng(2), style="fei", edge="bottom", text_px=20)
    lab = segment_default(a.image)
    assert lab.shape == img.shape and lab[a.mask].max() == 0
    assert segment_default(a.image, annotations=False)[a.mask].max() > 0   # off: the text is segmented too


@pytest.mark.parametrize("style", STYLES)
def test_reader_reads_rendered_labels(style, reader):
    "Large labels in a training font: every style read, pixel size within the bar's whole-pixel rounding."
    for seed in range(3):
        rng = np.random.default_rng(10 + seed)
        L = float(rng.choice(series_125(50, 500)))
        a = annotate(micrograph(seed), rng, style=style, font="DejaVuSans.ttf", text_px=18, pixel_size_nm=L / 80,
                     length_nm=L, edge="bottom", corner="bottom-left", label=format_length(L, rng), box=False)
        px, d = read_scale_bar(a.image, reader)
        assert d["length_nm"] == L, (style, a.label, d)
        assert abs(px / a.pixel_size_nm - 1) < 0.02, (style, px, a.pixel_size_nm)


def test_held_out_fonts_are_not_trained_on():
    assert set(HELD_OUT_FONTS) <= set(FONTS) and len(HELD_OUT_FONTS) >= 2


def test_labels_parse():
    assert parse_label("200 nm") == 200 and parse_label("1.00um") == 1000 and parse_label("2µm") == 2000
    assert parse_label("2μm") == 2000 and parse_label("500nm") == 500      # Greek mu
    assert parse_label("HV 5.00 kV") is None and parse_label("") is None
    assert parse_label("05 nm") is None and parse_label("0nm") is None and parse_label("0.5 µm") == 500


def test_a_label_is_not_the_tail_of_a_longer_number():
    "'2.00µm' read without its '2' (or with it unread) must not pass as 00 µm: the wrong read that costs a factor."
    from chiral_em.annotations import _LABEL
    assert _LABEL.search("2.00µm").group(0) == "2.00µm"
    for tail in (".00µm", "?00µm", "00µm", "2?05nm"): assert _LABEL.search(tail) is None, tail
    assert _LABEL.search("x50.0k200nm").group(0) == "200nm"   # letters before it are another field


def test_no_bar_is_a_clear_error(reader):
    with pytest.raises(ScaleBarError, match="no scale bar"): read_scale_bar(micrograph(), reader)


@pytest.mark.parametrize("bad,msg", [(np.zeros((5, 5)), "constant"), (np.zeros((4, 4, 4, 4)), "2-D"),
                                     (np.full((8, 8), np.nan), "NaN")])
def test_bad_input_errors_are_clear(bad, msg):
    with pytest.raises(ValueError, match=msg): find_annotations(bad)


def test_pixel_size_for_commands():
    img = micrograph()
    assert pixel_size_for(img, None, 2.0) == 2.0 and pixel_size_for(img, "1.5", 2.0) == 1.5
    notes = []
    assert pixel_size_for(img, "auto", 2.0, "x.tif", notes.append) == 2.0 and "x.tif" in notes[0]
    with pytest.raises(ScaleBarError, match="no pixel size"): pixel_size_for(img, "auto")
    with pytest.raises(ValueError, match="number"): pixel_size_for(img, "big")
    with pytest.raises(ValueError, match="> 0"): pixel_size_for(img, "-1")
    filled, m = fill_annotations(annotate(img, np.random.default_rng(0), style="zeiss").image)
    assert m.any() and len(np.unique(filled[m])) == 1


CLEAN = ["stach_insitu_sintering_bftem", "chen_patchy_nanoprism_tem", "genc_pt_alumina_haadf_tomo",
         "friedl_deepsem_nanowires_sem", "ziatdinov_graphene_stem_atomnet"]


@pytest.mark.parametrize("name", CLEAN)
def test_real_images_without_annotations(name):
    if not datasets.available(name): pytest.skip(f"{name} not in ../shared/data")
    masked = [find_annotations(s.image.data).mask.any() for s in datasets.load(name, limit=8)]
    assert sum(masked) == 0, f"{name}: {sum(masked)} of {len(masked)} clean images masked"


@pytest.mark.parametrize("name,split", [("genc_pt_alumina_haadf_tomo", "train"), ("genc_pt_alumina_haadf_tomo", "val"),
                                        ("particlespy_sio2_haadf", None)])
def test_dark_margins_with_particles_are_not_bands(name, split):
    "An empty margin holding a few bright particles is no data band (it was on 6 of the 60 tomogram slices before"
    "`annotations.lettered`): every image of these sets, none masked."
    if not datasets.available(name): pytest.skip(f"{name} not in ../shared/data")
    masked = [i for i, s in enumerate(datasets.load(name, split)) if find_annotations(s.image.data).mask.any()]
    assert masked == [], f"{name} {split}: images {masked} masked"


def test_real_burned_in_scale_bars(reader):
    name = "degeorge_insitu_vls_nanowire_hrtem"
    if not datasets.available(name): pytest.skip(f"{name} not in ../shared/data")
    samples = datasets.load(name)
    assert len(samples) == len(DEGEORGE_LABELS_NM)
    read = wrong = 0
    for lab_nm, s in list(zip(DEGEORGE_LABELS_NM, samples))[::3]:
        assert find_annotations(s.image.data).bar_box is not None, s.meta
        try: px, d = read_scale_bar(s.image.data, reader)
        except ScaleBarError: continue
        ok = d["length_nm"] == lab_nm
        read, wrong = read + ok, wrong + (not ok)
        if ok: assert abs(px * datasets.scale_bar_px(s.image.data) / lab_nm - 1) < 0.02
    assert wrong == 0 and read >= 10, (read, wrong)


def test_commands_report_an_unreadable_scale_bar(tmp_path, capsys):
    "--pixel-size auto on an image without a bar and without a file pixel size: skipped, with the file and reason."
    from PIL import Image
    from chiral_em.core import run_command
    from chiral_em.segment import segment_files
    p = tmp_path / "clean.png"
    Image.fromarray((micrograph() * 255).astype(np.uint8)).save(p)
    assert run_command(segment_files, [str(p), "--out", str(tmp_path / "o"), "--pixel-size", "auto"]) == 1
    err = capsys.readouterr()
    assert "clean.png" in err.out + err.err and "no scale bar" in err.out + err.err


def test_glyph_ensemble_is_the_mean_probability_and_survives_the_model_file(tmp_path):
    import torch
    from chiral_em.annotations import GLYPH, GlyphCNN, GlyphEnsemble
    from chiral_em.models import save_model, load_model
    torch.manual_seed(0)
    a, b = GlyphCNN().eval(), GlyphCNN().eval()
    x = torch.rand(5, 1, GLYPH, GLYPH)
    e = GlyphEnsemble.from_nets([a, b])
    with torch.no_grad():
        want = (torch.softmax(a(x), 1) + torch.softmax(b(x), 1)) / 2
        assert torch.allclose(torch.softmax(e(x), 1), want, atol=1e-6)
        meta = dict(input_kind="glyph crops", pixel_size_nm=0.0, sampling=0.0, profile="smoke", data_version=1, seed=0,
                    example_input=(1, 1, GLYPH, GLYPH))
        f = load_model(save_model(tmp_path / "reader.pt", e, meta))[0]
        assert torch.allclose(f(x), e(x))
    with pytest.raises(ValueError, match="at least one member"): GlyphEnsemble(0)


def test_line_reader_members_read_alone_and_survive_the_model_file(tmp_path):
    import torch
    from chiral_em.annotations import LINE_H, LineCRNN, LineReader, read_line
    from chiral_em.models import save_model, load_model
    torch.manual_seed(0)
    a, b = LineCRNN().eval(), LineCRNN().eval()
    x = torch.rand(2, 1, LINE_H, 64)
    r = LineReader.from_nets([a, b])
    with torch.no_grad():
        assert torch.allclose(r(x)[0], a(x)) and torch.allclose(r(x)[1], b(x)) and r(x).shape[2] == 64 // 4
        meta = dict(input_kind="text-line crops", pixel_size_nm=0.0, sampling=0.0, profile="smoke", data_version=1,
                    seed=0, example_input=(1, 1, LINE_H, 64))
        f = load_model(save_model(tmp_path / "reader.pt", r, meta))[0]
        assert torch.allclose(f(x), r(x))
    reads = read_line(r, x[0, 0].numpy())
    assert len(reads) == 2 and all(len(t) == len(p) for t, p in reads)
    with pytest.raises(ValueError, match="at least one member"): LineReader(0)


def test_ctc_decoding_and_line_label_rules():
    from chiral_em.annotations import ALPHABET, ctc_text, label_length
    T = np.full((8, len(ALPHABET) + 1), -20.0)
    for t, c in enumerate([2, 2, 0, 1, 1, 0, 1, 12]):   # '1', '1', blank, '0', '0', blank, '0', 'n'
        T[t, c] = 0.0
    text, p = ctc_text(T)
    assert text == "100n" and len(p) == 4 and np.allclose(p, 1)
    one = lambda s: np.ones(len(s))
    assert label_length("HV 5 kV 200 nm", one("HV 5 kV 200 nm"), 0.5)[0] == 200
    assert label_length("2 mm", one("2 mm"), 0.5)[0] == 2e6
    assert label_length("2.00µm", one("2.00µm"), 0.5)[0] is None     # no µ (nor um) from the line reader
    assert label_length("2 um", one("2 um"), 0.5)[0] is None
    assert label_length(".00 nm", one(".00 nm"), 0.5)[0] is None     # a lost leading digit is no label
    assert label_length("?00 nm", one("?00 nm"), 0.5)[0] is None     # nor an unread one
    assert label_length("200 nm", np.array([1, 1, 0.4, 1, 1, 1]), 0.5)[0] is None


class _Says:
    "Stand-ins for the readers: with no texts a glyph reader that reads nothing, else a line reader whose members"
    "read `texts` (one each)."
    def __init__(self, *texts): self.texts, self.members = texts, list(texts)

    def __call__(self, x):
        import torch
        from chiral_em.annotations import ALPHABET, CLASSES, encode_text
        if not self.texts:                                       # glyph crops (n, 1, G, G): every glyph 'other'
            out = torch.full((x.shape[0], len(CLASSES)), -10.0)
            out[:, -1] = 10.0
            return out
        T, out = x.shape[-1] // 4, []
        for text in self.texts:
            lp = torch.full((T, len(ALPHABET) + 1), -20.0)
            lp[:, 0] = 0.0
            for t, c in enumerate(encode_text(text) if 2 * len(text) <= T else []):  # short lines: nothing read
                lp[2 * t, 0], lp[2 * t, c] = -20.0, 0.0
            out.append(lp[None])
        return torch.stack(out)


def test_the_line_reader_is_asked_only_where_the_glyph_reader_reads_nothing(reader):
    rng = np.random.default_rng(10)
    a = annotate(micrograph(0), rng, style="fei", font="DejaVuSans.ttf", text_px=18, pixel_size_nm=200 / 80,
                 length_nm=200, edge="bottom", corner="bottom-left", label="200 nm", box=False)
    three = lambda t: _Says(t, t, t)
    px, d = read_scale_bar(a.image, reader, line_net=three("500 nm"))
    assert d["reader"] == "glyph" and d["length_nm"] == 200          # the glyph reader read it: its length
    px, d = read_scale_bar(a.image, _Says(), line_net=three("500 nm"))
    assert d["reader"] == "line" and d["length_nm"] == 500 and d["agreed"] == 3
    assert abs(px * d["bar_px"] - 500) < 1e-9
    for line_net in (three("5 µm"),                                  # a µ from the line reader is not taken
                     _Says("500 nm", "500 nm", "200 nm"),            # nor a length not all three members read
                     False):                                         # and without it, nothing is read
        with pytest.raises(ScaleBarError, match="no label read"): read_scale_bar(a.image, _Says(), line_net=line_net)

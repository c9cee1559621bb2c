"""The real-data VGSL configs (Fraktur lines, CREMMA ALTO pages) on tiny generated stand-ins for their data.

The real sets live outside the project (../shared/data); here the configs' data entries are pointed at
rendered lines and ALTO pages of the same layout, and each config must split, build and run a forward pass.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle

import ppocr  # noqa: F401  (registers components)
from ppocr.data.loader import build_dataloader
from ppocr.engine.task import task_for
from ppocr.testing import REPO_ROOT
from ppocr.utils.config import get_config
from ppocr.data.demo.render import render_line

FRAKTUR = os.path.join(REPO_ROOT, "configs", "vgsl", "vgsl_fraktur.yml")
CREMMA = os.path.join(REPO_ROOT, "configs", "vgsl", "vgsl_cremma_alto.yml")
WORKS = {"bauer_buehne_1871_0001_001": "be fed", "wienbarg_feld_1834_0002_003": "a bad deed",
         "keller_sinn_1882_0004_005": "cab face", "storm_ged_1852_0006_007": "dead bee",
         "fontane_irr_1888_0008_009": "fab"}
ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>{image}</fileName></sourceImageInformation></Description>
  <Layout><Page WIDTH="{w}" HEIGHT="{h}" ID="p1"><PrintSpace><TextBlock ID="b1">{lines}
  </TextBlock></PrintSpace></Page></Layout>
</alto>
"""


def _line(text, seed, height=24):
    return render_line(text, np.random.default_rng(seed), "simplex", height=height, margin=(1, 2))


def _spec_height(cfg):
    return int(cfg["Architecture"]["spec"].strip("[]").split()[0].split(",")[1])


def _resize_heights(cfg):
    out = []
    for mode in ("Train", "Eval"):
        for op in cfg[mode]["dataset"]["transforms"]:
            if "VGSLResizeLine" in op:
                out.append(op["VGSLResizeLine"]["image_shape"][1])
    return out


def _run(cfg, tmp_path):
    cfg["Global"].update(use_gpu=False, save_model_dir=str(tmp_path / "out"))
    g = cfg["Global"]
    task = task_for(cfg)
    assert task.name == "vgsl"
    core = task.build_core(cfg)
    texts = {}
    for mode in ("Train", "Eval"):
        loader = build_dataloader(cfg, mode, g, g["seed"])
        task.bind_loader(loader, core, mode)
        texts[mode] = sorted(loader.dataset.texts())
    batch = next(iter(loader))
    assert batch["image"].shape[2] == _spec_height(cfg)
    core["model"].eval()
    with paddle.no_grad():
        out = core["model"](batch)
    assert out.shape[-1] == core["num_classes"] and np.isfinite(out.numpy()).all()
    return texts


def test_fraktur_config_holds_out_works_by_name(tmp_path):
    cfg = get_config(FRAKTUR)
    assert _resize_heights(cfg) == [_spec_height(cfg)] * 2
    assert cfg["Global"]["codec"]["normalization"] == "NFC"  # NFKC would fold the long s into s
    real = "../shared/data/lines/fraktur/"
    assert [d.replace(real, "") for d in cfg["Train"]["dataset"]["data"] + cfg["Eval"]["dataset"]["data"]] == \
        ["[!bw]*.gt.txt", "[bw]*.gt.txt"]
    folder = tmp_path / "fraktur"
    folder.mkdir()
    for i, (name, text) in enumerate(WORKS.items()):
        cv2.imwrite(str(folder / f"{name}.tif"), _line(text, i))
        (folder / f"{name}.gt.txt").write_text(text + "\n", encoding="utf-8")
    for mode in ("Train", "Eval"):
        cfg[mode]["dataset"]["data"] = [d.replace(real, f"{folder}/") for d in cfg[mode]["dataset"]["data"]]
    texts = _run(cfg, tmp_path)
    assert texts == {"Train": ["cab face", "dead bee", "fab"], "Eval": ["a bad deed", "be fed"]}


def test_cremma_config_splits_by_page(tmp_path):
    cfg = get_config(CREMMA)
    assert _resize_heights(cfg) == [_spec_height(cfg)] * 2
    train, evl = cfg["Train"]["dataset"], cfg["Eval"]["dataset"]
    assert train["name"] == evl["name"] == "XMLLineDataSet"
    assert train["data"] == evl["data"] == ["../shared/data/pages/cremma_alto"]
    assert train["partition"] == evl["partition"] == 0.9
    folder = tmp_path / "pages"
    folder.mkdir()
    page_texts = [["abc def", "fed cab"], ["bead face", "dab"], ["cafe bed", "add"]]
    for p, texts in enumerate(page_texts):
        page = np.full((120, 300, 3), 235, np.uint8)
        lines = []
        for i, text in enumerate(texts):
            img = _line(text, 10 * p + i, height=40)[:, :280]
            y = 10 + 50 * i
            page[y:y + img.shape[0], 10:10 + img.shape[1]] = img
            x1, y1 = 10 + img.shape[1] - 1, y + img.shape[0] - 1
            lines.append(f'<TextLine ID="l{i}"><Shape><Polygon POINTS="10 {y} {x1} {y} {x1} {y1} 10 {y1}"/></Shape>'
                         f'<String CONTENT="{text}"/></TextLine>')
        cv2.imwrite(str(folder / f"will_{p}.jpg"), page)
        (folder / f"will_{p}.xml").write_text(ALTO.format(image=f"will_{p}.jpg", w=300, h=120, lines="".join(lines)),
                                              encoding="utf-8")
    train["data"] = evl["data"] = [str(folder)]
    texts = _run(cfg, tmp_path)
    by_page = [sorted(t) for t in page_texts]
    assert texts["Eval"] in by_page and sorted(texts["Train"]) == sorted(
        t for page in by_page if page != texts["Eval"] for t in page)

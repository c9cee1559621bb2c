"""XMLLineDataSet: ALTO v2/v4 and PAGE 2013/2019 snippets over a generated page image; lines cut along polygons."""
import cv2
import numpy as np
import pytest

from ppocr.data.vgsl_xml_dataset import XMLLineDataSet, baseline_polygon, cut_line
from ppocr.vgsl.page_xml import XML_PARSER, parse_page_file
from ppocr.utils.errors import DataError, SampleError

H, W = 100, 200


def _page():
    yy, xx = np.mgrid[0:H, 0:W]
    return (((yy * 3 + xx) % 200) + 20).astype(np.uint8)  # never 255, so the white fill is visible


ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v{v}#">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>{image}</fileName></sourceImageInformation></Description>
  <Layout><Page WIDTH="200" HEIGHT="100" ID="p1"><PrintSpace>
    <TextBlock ID="b1">
      <TextLine ID="l1" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20" BASELINE="10 28 110 28">
        <Shape><Polygon POINTS="10 10 110 10 110 30 10 30"/></Shape>
        <String CONTENT="Hello"/><SP/><String CONTENT="world"/></TextLine>
      <TextLine ID="l2" HPOS="20" VPOS="40" WIDTH="60" HEIGHT="30">
        <Shape><Polygon POINTS="20,40 80,40 20,70"/></Shape>
        <String CONTENT="tri-"/><HYP CONTENT="&#xAC;"/></TextLine>
      <TextLine ID="l3" HPOS="30" VPOS="75" WIDTH="50" HEIGHT="20"><String CONTENT="box only"/></TextLine>
      <TextLine ID="l4" BASELINE="100 90 150 90"><String CONTENT="baseline"/></TextLine>
      <TextLine ID="l5" HPOS="1" VPOS="1" WIDTH="5" HEIGHT="5"/>
    </TextBlock></PrintSpace></Page></Layout>
</alto>
"""

PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/{v}">
  <Page imageFilename="{image}" imageWidth="200" imageHeight="100">
    <TextRegion id="r1"><Coords points="0,0 200,0 200,100 0,100"/>
      <TextLine id="t1"><Coords points="10,10 110,10 110,30 10,30"/><Baseline points="10,28 110,28"/>
        <TextEquiv index="2"><Unicode>second reading</Unicode></TextEquiv>
        <TextEquiv index="1"><Unicode>Hello world</Unicode></TextEquiv></TextLine>
      <TextLine id="t2"><Baseline points="100,90 150,90"/>
        <Word id="w1"><TextEquiv><Unicode>from</Unicode></TextEquiv></Word>
        <Word id="w2"><TextEquiv><Unicode>words</Unicode></TextEquiv></Word></TextLine>
      <TextLine id="t3"><Coords points="300,10 400,10 400,30 300,30"/>
        <TextEquiv><Unicode>outside</Unicode></TextEquiv></TextLine>
    </TextRegion>
  </Page>
</PcGts>
"""


@pytest.fixture
def pages(tmp_path):
    cv2.imwrite(str(tmp_path / "page.png"), _page())
    (tmp_path / "alto4.xml").write_text(ALTO.format(v=4, image="page.png"), encoding="utf-8")
    (tmp_path / "alto2.xml").write_text(ALTO.format(v=2, image="C:\\scans\\page.png"), encoding="utf-8")
    (tmp_path / "page2013.xml").write_text(PAGE.format(v="2013-07-15", image="page.png"), encoding="utf-8")
    (tmp_path / "page2019.xml").write_text(PAGE.format(v="2019-07-15", image="page.png"), encoding="utf-8")
    return tmp_path


def _expected_polygon_cut(poly):
    page = _page()
    mask = np.zeros((H, W), np.uint8)
    cv2.fillPoly(mask, [np.asarray(poly, np.int32)], 255)
    out = np.where(mask > 0, page, 255).astype(np.uint8)
    x0, y0 = np.min(poly, axis=0)
    x1, y1 = np.max(poly, axis=0)
    return out[y0:y1 + 1, x0:x1 + 1]


@pytest.mark.parametrize("name", ["alto4.xml", "alto2.xml"])
def test_alto_lines(pages, name):
    page = parse_page_file(str(pages / name))
    assert page.format == "alto" and page.size == (200, 100)
    assert [l.text for l in page.lines] == ["Hello world", "tri-\u00ac", "box only", "baseline", ""]
    ds = XMLLineDataSet(str(pages / name), transforms=None, skip_bad_samples=True)
    assert ds.texts() == ["Hello world", "tri-\u00ac", "box only", "baseline"]
    assert ds.skip_counts == {"empty transcription": 1}
    rect = ds[0]["image"]
    np.testing.assert_array_equal(rect, _page()[10:31, 10:111])  # the rectangle polygon: nothing masked
    tri = ds[1]["image"]
    expected = _expected_polygon_cut([[20, 40], [80, 40], [20, 70]])
    assert tri.shape == (31, 61)
    np.testing.assert_array_equal(tri, expected)
    assert tri[0, 0] != 255 and tri[-1, -1] == 255 and tri[-1, 0] != 255  # outside the triangle: white
    np.testing.assert_array_equal(ds[2]["image"], _page()[75:96, 30:81])  # HPOS/VPOS/WIDTH/HEIGHT box
    band = ds[3]["image"]  # baseline y=90 from x 100 to 150, band 32 up / 12 down, clipped at the page bottom
    np.testing.assert_array_equal(band, _page()[58:100, 100:151])


@pytest.mark.parametrize("name", ["page2013.xml", "page2019.xml"])
def test_page_lines(pages, name):
    page = parse_page_file(str(pages / name))
    assert page.format == "page" and page.image == "page.png"
    assert [l.text for l in page.lines] == ["Hello world", "from words", "outside"]
    ds = XMLLineDataSet(str(pages / name), transforms=None, baseline_band=[10, 4], skip_bad_samples=True)
    np.testing.assert_array_equal(ds[0]["image"], _page()[10:31, 10:111])
    np.testing.assert_array_equal(ds[1]["image"], _page()[80:95, 100:151])
    assert ds[2] is None  # polygon outside the page: skipped when loaded
    strict = XMLLineDataSet(str(pages / name), transforms=None)
    with pytest.raises(DataError, match=r"t3\).*lies outside the page image \(200x100"):
        strict[2]


def test_missing_image_and_bad_files(pages, tmp_path):
    (pages / "lost.xml").write_text(PAGE.format(v="2019-07-15", image="gone.jpg"), encoding="utf-8")
    (pages / "other.xml").write_text("<html><body/></html>", encoding="utf-8")
    (pages / "broken.xml").write_text("<alto><Layout>", encoding="utf-8")
    with pytest.raises(DataError, match="broken.xml:1: cannot parse the XML"):
        XMLLineDataSet(str(pages / "broken.xml"), transforms=None)
    with pytest.raises(DataError, match="lost.xml:1: its image 'gone.jpg' is not there"):
        XMLLineDataSet(str(pages / "lost.xml"), transforms=None)
    ds = XMLLineDataSet(str(pages), transforms=None, skip_bad_samples=True)
    assert ds.skip_counts["page image missing"] == 3  # the three lines of lost.xml
    assert ds.skip_counts["not ALTO or PAGE"] == 1 and ds.skip_counts["unreadable XML"] == 1
    assert len(ds) == 4 + 4 + 3 + 3 and XML_PARSER in ("lxml", "xml.etree")
    mm = ALTO.format(v=4, image="page.png").replace(">pixel<", ">mm10<")
    (tmp_path / "mm.xml").write_text(mm, encoding="utf-8")
    with pytest.raises(DataError, match="MeasurementUnit 'mm10' is not supported"):
        XMLLineDataSet(str(tmp_path / "mm.xml"), transforms=None)


def test_partition_splits_pages(pages):
    data = [str(pages / n) for n in ("alto4.xml", "alto2.xml", "page2013.xml", "page2019.xml")]
    train = XMLLineDataSet(data, transforms=None, skip_bad_samples=True, partition=0.5, seed=1)
    valid = XMLLineDataSet(data, transforms=None, skip_bad_samples=True, partition=0.5, seed=1, mode="Eval")
    t, v = {s.group for s in train.samples}, {s.group for s in valid.samples}
    assert len(t) == 2 and len(v) == 2 and not t & v


def test_cut_line_helpers():
    page = _page()
    with pytest.raises(SampleError, match="at least 3"):
        cut_line(page, [[0, 0], [5, 5]])
    with pytest.raises(SampleError, match="outside the page"):
        cut_line(page, [[-50, -50], [-10, -50], [-10, -10]])
    # partly outside: clipped to the page
    assert cut_line(page, [[-5, -5], [10, -5], [10, 10], [-5, 10]]).shape == (11, 11)
    colour = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    out = cut_line(colour, [[20, 40], [80, 40], [20, 70]])
    assert out.shape == (31, 61, 3) and (out[-1, -1] == 255).all()
    poly = baseline_polygon(np.array([[0.0, 50.0], [10.0, 52.0]]), 5, 2)
    np.testing.assert_allclose(poly, [[0, 45], [10, 47], [10, 54], [0, 52]])  # built vertex by vertex by our code


def test_page_size_mismatch(tmp_path):
    cv2.imwrite(str(tmp_path / "half.png"), cv2.resize(_page(), (W // 2, H // 2), interpolation=cv2.INTER_AREA))
    (tmp_path / "half.xml").write_text(PAGE.format(v="2019-07-15", image="half.png"), encoding="utf-8")
    ds = XMLLineDataSet(str(tmp_path / "half.xml"), transforms=None)
    assert ds[0]["image"].shape == (11, 51)  # coordinates scaled to the half-size copy
    cv2.imwrite(str(tmp_path / "rot.png"), np.ascontiguousarray(_page().T))  # 100x200: rotated
    (tmp_path / "rot.xml").write_text(PAGE.format(v="2019-07-15", image="rot.png"), encoding="utf-8")
    with pytest.raises(DataError, match="gives the page as 200x100 pixels but .*rot.png is 100x200"):
        XMLLineDataSet(str(tmp_path / "rot.xml"), transforms=None)[0]

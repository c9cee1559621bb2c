"""ICDAR 2015 ground truth -> PaddleOCR detection labels, on hand-written files."""
import json
import os
import runpy

import pytest

from ppocr.data.imaug.det_label_ops import DetLabelEncode
from ppocr.testing import REPO_ROOT
from ppocr.data.det_label_convert import convert_icdar2015, parse_icdar2015_gt
from ppocr.utils.errors import DataError

# the first lines of an ICDAR 2015 file: BOM, CRLF, a comma inside a transcription, ###
GT_1 = ("\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
        "493,115,519,115,519,131,493,131,[06]\r\n"
        "374,155,409,155,409,170,374,170,###\r\n"
        "10,20,30,20,30,40,10,40,1,000\r\n")
EXPECTED_1 = ('[{"transcription": "Genaxis Theatre", "points": [[377, 117], [463, 117], [465, 130], [378, 130]]}, '
              '{"transcription": "[06]", "points": [[493, 115], [519, 115], [519, 131], [493, 131]]}, '
              '{"transcription": "###", "points": [[374, 155], [409, 155], [409, 170], [374, 170]]}, '
              '{"transcription": "1,000", "points": [[10, 20], [30, 20], [30, 40], [10, 40]]}]')


def _icdar(tmp_path, files):
    gt, images = tmp_path / "gt", tmp_path / "images"
    gt.mkdir()
    images.mkdir()
    for n, text in files.items():
        (gt / f"gt_img_{n}.txt").write_bytes(text.encode("utf-8"))
        (images / f"img_{n}.jpg").write_bytes(b"\xff\xd8 not a real jpeg")
    return str(gt), str(images)


def test_hand_checked_line(tmp_path):
    gt, images = _icdar(tmp_path, {1: GT_1, 10: "1,1,5,1,5,5,1,5,caf\u00e9\n", 2: ""})
    out = tmp_path / "train_label.txt"
    stats = convert_icdar2015(gt, images, str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["images/img_1.jpg", "images/img_2.jpg", "images/img_10.jpg"]
    assert lines[0] == "images/img_1.jpg\t" + EXPECTED_1
    assert lines[1] == "images/img_2.jpg\t[]"
    assert lines[2] == 'images/img_10.jpg\t[{"transcription": "caf\u00e9", "points": [[1, 1], [5, 1], [5, 5], [1, 5]]}]'
    assert stats == {"images": 3, "regions": 5, "ignored": 1}
    parsed = DetLabelEncode()({"label": lines[0].split("\t", 1)[1]})
    assert parsed["texts"][3] == "1,000" and parsed["ignore_tags"].tolist() == [False, False, True, False]


def test_image_prefix_and_float_coordinates(tmp_path):
    gt, images = _icdar(tmp_path, {7: "1.5,2,3,2,3,4,1.5,4,x\n"})
    out = tmp_path / "sub" / "labels.txt"
    convert_icdar2015(gt, images, str(out), image_prefix="ch4_training_images")
    rel, label = out.read_text(encoding="utf-8").rstrip("\n").split("\t")
    assert rel == "ch4_training_images/img_7.jpg"
    assert json.loads(label)[0]["points"] == [[1.5, 2], [3, 2], [3, 4], [1.5, 4]]
    convert_icdar2015(gt, images, str(out))  # default prefix: image_dir relative to the label file
    assert out.read_text(encoding="utf-8").startswith("../images/img_7.jpg\t")


@pytest.mark.parametrize("text,message", [
    ("1,2,3,4,5,6,7,word\n",
     r"gt_img_1\.txt:1: expected 'x1,y1,x2,y2,x3,y3,x4,y4,transcription', got '1,2,3,4,5,6,7,word'"),
    ("1,2,3,4,5,6,7,8,ok\n\nx,2,3,4,5,6,7,8,bad\n", r"gt_img_1\.txt:3: expected"),
])
def test_malformed_lines_name_file_and_line(tmp_path, text, message):
    gt, images = _icdar(tmp_path, {1: text})
    with pytest.raises(DataError, match=message):
        convert_icdar2015(gt, images, str(tmp_path / "out.txt"))


def test_missing_images_and_folders(tmp_path):
    gt, images = _icdar(tmp_path, {1: GT_1, 2: GT_1})
    os.remove(os.path.join(images, "img_2.jpg"))
    with pytest.raises(DataError, match=r"1 ground-truth file\(s\) have no image .* img_2\.\*; check --image_dir"):
        convert_icdar2015(gt, images, str(tmp_path / "out.txt"))
    with pytest.raises(DataError, match="gt_dir '.*nowhere' is not a folder"):
        convert_icdar2015(str(tmp_path / "nowhere"), images, str(tmp_path / "out.txt"))
    with pytest.raises(DataError, match="no ground-truth files named gt_<image>.txt"):
        convert_icdar2015(images, images, str(tmp_path / "out.txt"))
    (tmp_path / "gt" / "gt_img_1.txt").write_bytes(b"1,2,3,4,5,6,7,8,\xff\xfe\n")
    os.remove(os.path.join(gt, "gt_img_2.txt"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        convert_icdar2015(gt, images, str(tmp_path / "out.txt"))


def test_parse_keeps_empty_transcription():
    assert parse_icdar2015_gt("1,2,3,4,5,6,7,8\n") == [
        {"transcription": "", "points": [[1, 2], [3, 4], [5, 6], [7, 8]]}]


def test_cli(tmp_path, capsys):
    gt, images = _icdar(tmp_path, {3: GT_1})
    main = runpy.run_path(os.path.join(REPO_ROOT, "tools", "convert_icdar2015_det.py"))["main"]
    out = tmp_path / "label.txt"
    main(["--gt_dir", gt, "--image_dir", images, "--out", str(out), "--image_prefix", "imgs"])
    assert out.read_text(encoding="utf-8") == "imgs/img_3.jpg\t" + EXPECTED_1 + "\n"
    assert "wrote 1 images, 4 regions (1 do-not-care)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as err:
        main(["--gt_dir", str(tmp_path / "none"), "--image_dir", images, "--out", str(out)])
    assert err.value.code == 2 and "is not a folder" in capsys.readouterr().err

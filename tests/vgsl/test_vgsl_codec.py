"""Codec: building, recoding (Hangul, combining marks, Han), exact round trips, bidi, unknown
characters, invalid code sequences, files, merging for fine-tuning."""
import json
import random
import sys
import unicodedata

import pytest

from ppocr.vgsl.codec import (Codec, CodecDecodeError, UnknownCharactersError, hangul_to_jamo, is_han,
                               jamo_to_hangul)
from ppocr.utils.errors import ConfigError, SampleError

SAMPLES = {
    "latin": "Ça va? Ệ naïve café, Øre — “quoted” 42",
    "hangul": "한국어 텍스트 인식 닭 값 ㄱ",
    "han": "漢字認識 中文文本 日本語",
    "devanagari": "हिन्दी पाठ क़लम ज़्यादा",
    "arabic": "مرحبا بالعالم آمين",
    "arabic_digits": "العدد 123 والعدد ٤٥٦",
    "arabic_latin": "كلمة (abc) كلمة",
    "hebrew_niqqud": "שָׁלוֹם עוֹלָם",
    "mixed": "abc 한국 漢字 é",
}


def _random_text(rng, lo, hi, n):
    return "".join(chr(rng.randint(lo, hi)) for _ in range(n))


def test_from_texts_is_sorted_and_deterministic():
    a = Codec.from_texts(["cab", "b a"], reorder=False)
    b = Codec.from_texts(["a b", "bca"], reorder=False)
    assert a == b
    assert a.symbols == {" ": (1,), "a": (2,), "b": (3,), "c": (4,)}
    assert a.num_classes == 5 and a.code_labels() == ["blank", " ", "a", "b", "c"]
    assert a.encode("cab") == [4, 2, 3]


@pytest.mark.parametrize("reorder", [False, True])
@pytest.mark.parametrize("recode", [False, True])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_per_script(name, recode, reorder):
    if reorder:
        pytest.importorskip("bidi")
    text = SAMPLES[name]
    codec = Codec.from_texts(SAMPLES.values(), recode=recode, reorder=reorder)
    codes = codec.encode(text)
    assert all(1 <= c < codec.num_classes for c in codes)
    assert codec.decode(codes) == codec.normalize(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("form", ["NFC", "NFD", "NFKC", "NFKD"])
@pytest.mark.parametrize("recode", [False, True])
def test_round_trip_per_normalization(form, recode):
    texts = [t for k, t in SAMPLES.items() if not k.startswith(("arabic", "hebrew"))] + ["ﬁ ² Å"]
    codec = Codec.from_texts(texts, normalization=form, recode=recode, reorder=False)
    for text in texts:
        assert codec.decode(codec.encode(text)) == unicodedata.normalize(form, text)


def test_normalization_and_whitespace_options():
    nfkc = Codec.from_texts(["ﬁ x"], normalization="NFKC", reorder=False)
    assert "ﬁ" not in nfkc and nfkc.decode(nfkc.encode("ﬁ")) == "fi"
    codec = Codec.from_texts(["a b"], reorder=False)
    assert codec.normalize("  a \t\u00a0 b\n") == "a b"
    assert codec.decode(codec.encode(" a\t\tb ")) == "a b"
    raw = Codec.from_texts(["a  b\t"], normalization=None, normalize_whitespace=False, reorder=False)
    assert raw.decode(raw.encode("a  b\t")) == "a  b\t"


def test_hangul_is_recoded_into_jamo_by_arithmetic():
    assert hangul_to_jamo("닭") == "\u1103\u1161\u11b0" and hangul_to_jamo("가") == "\u1100\u1161"
    assert jamo_to_hangul("\u1103\u1161\u11b0\u1100\u1161x") == "닭가x"
    rng = random.Random(0)
    text = _random_text(rng, 0xAC00, 0xD7A3, 3000)
    codec = Codec.from_texts([text], recode=True)
    assert codec.num_classes - 1 <= 19 + 21 + 27  # jamo instead of thousands of syllables
    assert len(set(text)) > 1500
    for syllable in text[:200]:
        assert len(codec.encode(syllable)) in (2, 3)
    assert codec.decode(codec.encode(text)) == text


@pytest.mark.parametrize("digits", [2, 3])
def test_han_is_recoded_into_short_sequences_from_a_small_alphabet(digits):
    rng = random.Random(1)
    text = _random_text(rng, 0x4E00, 0x9FFF, 4000)
    n = len(set(text))
    codec = Codec.from_texts([text], recode=True, han_digits=digits)
    k = len(codec.han_codes[0])
    assert k ** digits >= n and (k - 1) ** digits < n
    assert codec.num_classes - 1 == digits * k <= digits * (round(n ** (1 / digits)) + 1)
    for ch in set(text):
        codes = codec.encode(ch)
        assert len(codes) == digits
        assert all(codes[p] in codec.han_codes[p] for p in range(digits))  # one code per digit position
    assert codec.decode(codec.encode(text)) == text
    plain = Codec.from_texts([text])
    assert plain.num_classes - 1 == n > 10 * (codec.num_classes - 1)


def test_combining_sequences_share_codes():
    codec = Codec.from_texts(["é è ê ë ệ"], recode=True, reorder=False)
    assert set(codec.symbols) == {" ", "e", "\u0300", "\u0301", "\u0302", "\u0308", "\u0323"}
    assert len(codec.encode("ệ")) == 3
    assert codec.decode(codec.encode("ệ")) == "ệ"
    assert codec.decode(codec.encode("ë")) == "\u00eb"  # composed again (NFC)


def test_is_han():
    assert all(is_han(c) for c in "漢字\u3400\U00020000")
    assert not any(is_han(c) for c in "aあア한")


def test_unknown_characters_are_named():
    codec = Codec.from_texts(["abc"], reorder=False)
    with pytest.raises(UnknownCharactersError) as info:
        codec.encode("abxzx€")
    err = info.value
    assert isinstance(err, SampleError)
    assert err.characters == ["x", "z", "€"] and err.text == "abxzx€"
    assert "'€' U+20AC EURO SIGN" in str(err)
    recoding = Codec.from_texts(["e"], recode=True, reorder=False)
    with pytest.raises(UnknownCharactersError, match=r"'é'.*its part .* U\+0301 COMBINING ACUTE ACCENT") as info:
        recoding.encode("é")
    assert info.value.characters == ["é"]
    with pytest.raises(TypeError):
        codec.encode(b"abc")


def test_invalid_code_sequences_degrade_gracefully():
    codec = Codec.from_texts(["a 漢字"], recode=True, reorder=False)
    han = codec.encode("漢")
    a = codec.encode("a")
    assert codec.decode([0] + a + [0, 0] + a) == "aa"  # blanks are skipped
    broken = a + han[:1] + a + [999] + han[1:] + a  # a lone digit code, an unknown id, a lone second digit
    assert codec.decode(broken) == "aaa"
    assert codec.decode(broken, errors="replace") == "a\ufffda\ufffd\ufffda"
    with pytest.raises(CodecDecodeError, match="999|starts no symbol"):
        codec.decode(broken, errors="strict")
    with pytest.raises(ValueError, match="errors"):
        codec.decode(a, errors="loud")


def test_bidi_encodes_display_order():
    pytest.importorskip("bidi")
    hebrew = "שלום עולם"
    codec = Codec.from_texts([hebrew], reorder=True)
    logical = Codec.from_texts([hebrew])
    assert codec.encode(hebrew) == logical.encode(hebrew[::-1])  # pure RTL: reversed
    assert codec.decode(codec.encode(hebrew)) == hebrew
    mixed = "hello world שלום"  # more strong LTR than RTL characters: 'auto' is a left-to-right line
    auto = Codec.from_texts([mixed], reorder=True)
    assert auto.encode(mixed) == logical_codes(auto, "hello world םולש")
    assert auto.decode(auto.encode(mixed)) == mixed
    forced = Codec.from_texts([mixed], reorder=True, base_dir="R")
    assert forced.encode(mixed) == logical_codes(forced, "םולש hello world")
    assert forced.decode(forced.encode(mixed)) == mixed


def logical_codes(codec, display):
    return Codec(codec.symbols, normalization=codec.normalization).encode(display)


def test_bidi_display_order_is_ambiguous_for_some_mixed_lines():
    """Two logical lines with one display order get the same codes; decoding returns one of them."""
    pytest.importorskip("bidi")
    codec = Codec.from_texts(["hello שלום 12"], reorder=True)
    codes = codec.encode("hello שלום 12")
    assert codes == codec.encode("hello 12 שלום")
    assert codec.decode(codes) in ("hello שלום 12", "hello 12 שלום")


def test_bidi_fallback_without_python_bidi(monkeypatch):
    arabic = "مرحبا بالعالم آمين"
    want = None
    if _has_bidi():
        want = Codec.from_texts([arabic, "abc 12"], reorder=True).encode(arabic)
    monkeypatch.setitem(sys.modules, "bidi", None)  # import bidi now fails
    codec = Codec.from_texts([arabic, "abc 12"], reorder=True)
    codes = codec.encode(arabic)
    if want is not None:
        assert codes == want  # the fallback reverses pure RTL lines as python-bidi does
    assert codec.decode(codes) == arabic
    assert codec.decode(codec.encode("abc 12")) == "abc 12"  # left-to-right lines need no reordering
    with pytest.raises(ConfigError, match="pip install python-bidi"):
        codec.encode("مرحبا 12")
    plain = Codec.from_texts([arabic])  # reorder=False needs no bidi at all
    assert plain.decode(plain.encode(arabic)) == arabic


def _has_bidi():
    try:
        import bidi  # noqa: F401
        return True
    except ImportError:
        return False


def test_reorder_off_is_always_exact():
    text = "مرحبا بالعالم 123 (abc) آمين"
    codec = Codec.from_texts([text], recode=True)
    assert codec.decode(codec.encode(text)) == text


def test_json_round_trip(tmp_path):
    pytest.importorskip("bidi")
    codec = Codec.from_texts(SAMPLES.values(), recode=True, normalization="NFC", reorder=True, base_dir="R",
                             han_digits=3)
    path = str(tmp_path / "codec.json")
    codec.save(path)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    assert data["format"] == "ppocr-codec/1" and data["recode"] is True and len(data["han_codes"]) == 3
    loaded = Codec.load(path)
    assert loaded == codec and loaded.options == codec.options
    for text in SAMPLES.values():
        if "(" not in text:
            assert loaded.encode(text) == codec.encode(text)


def test_plain_dictionary_round_trip_matches_ctc_label_encode(tmp_path):
    from ppocr.data.imaug.label_ops import CTCLabelEncode
    codec = Codec.from_texts(["hello world", "ab"], reorder=False)
    path = str(tmp_path / "dict.txt")
    codec.save(path)
    loaded = Codec.load(path, reorder=False)
    assert loaded.symbols == codec.symbols
    enc = CTCLabelEncode(max_text_length=20, character_dict_path=path)
    assert enc.encode("hello ab") == loaded.encode("hello ab")
    with pytest.raises(ValueError, match="save it as .json"):
        Codec.from_texts(["한"], recode=True).save(str(tmp_path / "x.txt"))


def test_kraken_codec_json_with_multi_code_and_multi_character_symbols(tmp_path):
    path = tmp_path / "kraken_codec.json"
    path.write_text(json.dumps({"a": [1], "b": [22], "c": [23, 24], "ch": [25]}), encoding="utf-8")
    codec = Codec.load(str(path))
    assert codec.num_classes == 26 and codec.options["normalization"] is None
    assert codec.encode("abcch") == [1, 22, 23, 24, 25]  # longest symbol first
    assert codec.decode([1, 22, 23, 24, 25]) == "abcch"
    assert codec.decode([23, 1]) == "a"  # half of 'c' is dropped


def test_load_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Codec.load(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"a": [0]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid codec.*0 is the blank"):
        Codec.load(str(bad))


@pytest.mark.parametrize("kwargs,match", [
    ({"symbols": {"a": [1], "b": [1]}}, "share the codes"),
    ({"symbols": {"a": [0]}}, "codes >= 1"),
    ({"symbols": {"": [1]}}, "non-empty strings"),
    ({"symbols": {"a": [1]}, "normalization": "NFX"}, "normalization must be"),
    ({"symbols": {"a": [1]}, "normalization": None, "recode": True}, "recode=True needs a normalization"),
    ({"symbols": {"a": [1]}, "base_dir": "up"}, "base_dir"),
    ({"symbols": {"a": [1]}, "reorder": "yes"}, "reorder must be True or False"),
])
def test_constructor_checks(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Codec(**kwargs)


def test_merge_union_keeps_old_codes():
    old = Codec.from_texts(["abc 漢字"], recode=True, reorder=False)
    new_data = Codec.from_texts(["abd 新字 é"], **old.options)
    merged, mapping = old.merge(new_data, "union")
    for sym, codes in old.symbols.items():
        assert merged.symbols[sym] == codes
    assert mapping == {i: i for i in range(old.num_classes)}
    assert merged.num_classes > old.num_classes
    for text in ("abc 漢字", "abd 新字 é", "dé新漢"):
        assert merged.decode(merged.encode(text)) == text
    assert min(merged.symbols["d"]) >= old.num_classes


def test_merge_union_widens_the_han_digits_when_full():
    han = "一丁七万"  # 4 characters -> base 2, all four 2-digit sequences used
    old = Codec.from_texts([han], recode=True, reorder=False)
    assert len(old.han_codes[0]) == 2
    merged, _ = old.merge(Codec.from_texts(["丈三上"], **old.options), "union")
    assert len(merged.han_codes[0]) == 3 and all(old.han_codes[p] == merged.han_codes[p][:2] for p in range(2))
    for ch in han:
        assert merged.symbols[ch] == old.symbols[ch]
    assert len({merged.symbols[c] for c in han + "丈三上"}) == 7
    assert merged.decode(merged.encode("丈一三")) == "丈一三"


def test_merge_new_keeps_only_the_new_data_and_maps_shared_codes():
    old = Codec.from_texts(["abcxyz"], reorder=False)
    merged, mapping = old.merge(Codec.from_texts(["zab q"], **old.options), "new")
    assert set(merged.symbols) == {"a", "b", "z", " ", "q"}
    for sym in "abz":
        assert [mapping[c] for c in old.symbols[sym]] == list(merged.symbols[sym])
    assert mapping[0] == 0 and len(mapping) == 4
    assert merged.decode(merged.encode("q zab")) == "q zab"


def test_merge_maps_output_weights_through_resize_output():
    import numpy as np
    import paddle
    from ppocr.modeling.vgsl import VGSLNet
    old = Codec.from_texts(["abcxyz"], reorder=False)
    merged, mapping = old.merge(Codec.from_texts(["zab q"], **old.options), "new")
    net = VGSLNet("[1,1,0,4 Lfx3 O1c#]", num_classes=old.num_classes)
    before = net.output_layer.fc.weight.numpy().copy()
    net.resize_output(merged.num_classes, mapping)
    after = net.output_layer.fc.weight.numpy()
    for sym in "abz":
        np.testing.assert_array_equal(after[:, merged.symbols[sym][0]], before[:, old.symbols[sym][0]])
    assert list(net(paddle.rand([1, 1, 4, 5])).shape) == [1, 5, merged.num_classes]


def test_merge_errors():
    old = Codec.from_texts(["ab"], reorder=False)
    with pytest.raises(ValueError, match="mode"):
        old.merge(old, "both")
    with pytest.raises(ValueError, match="different text options"):
        old.merge(Codec.from_texts(["ab"], normalization="NFD", reorder=False))

"""A small, offline text renderer built on OpenCV's Hershey vector fonts.

No font files are read, so output depends only on the text, the arguments and the numpy
``Generator`` passed in: the same seed always gives the same pixels. The renderer makes the
bundled demo data (``tools/make_demo_data.py``) and synthetic samples for tests.

Hershey fonts cover printable ASCII only (codes 32-126); any other character raises
``ValueError``. Text for other scripts needs a TrueType renderer, which this module does not
provide.

The building blocks are public so page-level renderers can reuse them:

* :func:`draw_text_mask` draws one string as an ink mask and returns the quad around its ink;
* :func:`make_background` draws a light paper-like background;
* :func:`composite` lays dark ink over a background;
* :func:`render_line` chains them into one cropped, lightly augmented line image.

Example:
    >>> import numpy as np
    >>> from ppocr.data.demo.render import render_line, random_label
    >>> rng = np.random.default_rng(0)
    >>> img, quad = render_line(random_label(rng), rng, height=32, return_quad=True)
    >>> img.shape[0], img.dtype.name, quad.shape
    (32, 'uint8', (4, 2))
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

#: Hershey families by name. ``script_*`` families exist too but are hard to read, so the
#: random choice leaves them out; pass them explicitly with :class:`HersheyFont` if wanted.
HERSHEY_FACES: dict[str, int] = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "duplex": cv2.FONT_HERSHEY_DUPLEX,
    "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "complex_small": cv2.FONT_HERSHEY_COMPLEX_SMALL,
    "plain": cv2.FONT_HERSHEY_PLAIN,
    "script_simplex": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    "script_complex": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
}
#: Families :func:`random_font` draws from.
LEGIBLE_FACES: tuple[str, ...] = ("simplex", "duplex", "complex", "triplex", "complex_small", "plain")

#: Characters Hershey fonts can draw.
RENDERABLE_CHARS = frozenset(chr(c) for c in range(32, 127))

LOWERCASE_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"

# A short everyday vocabulary (written for this project) so labels look like real words.
WORDS: tuple[str, ...] = tuple("""
a about above across act add after again age ago air all almost along also always am among
and animal answer any apple area arm around art as ask at away baby back bad bag ball bank
base be bear beat bed been before begin behind best better between big bird bit black blue
board boat body book both box boy bread break bring brother brown build burn bus but buy by
call came can car card care carry case cat catch cell center chair chance change check child
city class clean clear close cloud coast cold color come cook cool copy corner cost could
count country course cover cross cup cut dark data day dead deal dear deep desk did dinner
do doctor does dog door down draw dream dress drink drive drop dry during each early earth
east easy eat edge egg eight end energy enough even evening ever every exit eye face fact
fair fall family far farm fast father field fill film final find fine fire first fish five
floor flower fly follow food foot for force form four free fresh friend from front fruit full
game garden gate give glass go gold good great green ground group grow guess hair half hand
happy hard has hat have he head hear heart heat heavy help her here high hill him his hold
home hope horse hot hotel hour house how huge idea if in inch into iron is island it item
job join jump just keep key kind king kitchen know lake land large last late laugh lead learn
left leg less letter level life light like line list listen little live long look lost love
low lunch machine main make man many map mark market may meet menu metal middle might milk
mind minute miss model money month moon more morning most mother mountain move much music
must name near need never new news next nice night nine no noon north note nothing now
number ocean of off office often oil old on once one only open or order other our out over
own page paint paper park part party pass past path pay pen people phone pick picture piece
place plan plant play please point poor port post power press price print program pull push
put queen question quick quiet race radio rain read ready real red rest rich ride right ring
river road rock room round row rule run safe said sale salt same sand save say school sea
seat second see sell send seven shape share she ship shop short should show side sign simple
since sing sister sit six size sky sleep slow small smile snow so soft some son song soon
sound south space speak speed spring square stand star start station stay step still stone
stop store story street strong study such summer sun supply sure table take talk tall tea
teach team ten test text than that the their them then there these they thing think this
three through time today together too top total town track trade train tree trip true try
turn two under unit until up upon us use valley value very view village visit voice wait
walk wall want warm was wash watch water way we wear week well west what wheel when where
which while white who why wide will wind window winter wish with woman wood word work world
write year yellow yes yet you young zero zone
""".split())

_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class HersheyFont:
    """One Hershey font setting.

    Args:
        face: a key of :data:`HERSHEY_FACES`.
        italic: add ``cv2.FONT_ITALIC`` (a slanted variant of the same strokes).
        weight: stroke weight relative to a regular face; about 0.6 (light) to 1.8 (bold).
    """

    face: str = "simplex"
    italic: bool = False
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.face not in HERSHEY_FACES:
            raise ValueError(f"HersheyFont.face must be one of {sorted(HERSHEY_FACES)}, got {self.face!r}")
        if not 0.1 <= float(self.weight) <= 5.0:
            raise ValueError(f"HersheyFont.weight must be in [0.1, 5], got {self.weight!r}")

    @property
    def cv2_font(self) -> int:
        """The ``fontFace`` value for ``cv2.putText``."""
        return HERSHEY_FACES[self.face] | (cv2.FONT_ITALIC if self.italic else 0)


def random_font(rng: np.random.Generator, faces: Sequence[str] = LEGIBLE_FACES,
                italic_prob: float = 0.2, weight_range: tuple[float, float] = (0.7, 1.6)) -> HersheyFont:
    """Draw a font family, slant and stroke weight.

    Args:
        rng: the random source.
        faces: families to choose from (keys of :data:`HERSHEY_FACES`).
        italic_prob: probability of the italic variant.
        weight_range: uniform range of :attr:`HersheyFont.weight`.

    Returns:
        The drawn font.
    """
    face = str(faces[int(rng.integers(len(faces)))])
    italic = bool(rng.random() < italic_prob)
    weight = float(rng.uniform(*weight_range))
    return HersheyFont(face=face, italic=italic, weight=weight)


def check_renderable(text: str) -> None:
    """Raise ``ValueError`` unless Hershey fonts can draw every character of ``text``.

    Args:
        text: the string to check.

    Raises:
        ValueError: ``text`` is empty, blank or holds characters outside printable ASCII.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"text must contain at least one visible character, got {text!r}")
    bad = sorted({c for c in text if c not in RENDERABLE_CHARS})
    if bad:
        raise ValueError(f"Hershey fonts draw printable ASCII only (codes 32-126); {text!r} contains "
                         f"{', '.join(repr(c) for c in bad)}. Transliterate the text or use a TrueType renderer.")


def random_word(rng: np.random.Generator, alphabet: str = LOWERCASE_ALNUM, min_len: int = 2,
                max_len: int = 10) -> str:
    """A string of independent, uniformly drawn characters.

    Args:
        rng: the random source.
        alphabet: the characters to draw from.
        min_len: shortest length (inclusive).
        max_len: longest length (inclusive).

    Returns:
        The random string.

    Raises:
        ValueError: empty alphabet or ``min_len`` outside ``[1, max_len]``.
    """
    if not alphabet:
        raise ValueError("alphabet must not be empty")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    n = int(rng.integers(min_len, max_len + 1))
    return "".join(alphabet[int(i)] for i in rng.integers(len(alphabet), size=n))


def pseudo_word(rng: np.random.Generator, min_len: int = 2, max_len: int = 10) -> str:
    """A pronounceable made-up lowercase word built from consonant-vowel syllables.

    Args:
        rng: the random source.
        min_len: shortest length (inclusive).
        max_len: longest length (inclusive).

    Returns:
        The word.
    """
    n = int(rng.integers(min_len, max_len + 1))
    out, vowel = [], bool(rng.random() < 0.3)
    while len(out) < n:
        pool = _VOWELS if vowel else _CONSONANTS
        out.append(pool[int(rng.integers(len(pool)))])
        vowel = not vowel if rng.random() < 0.85 else vowel
    return "".join(out)


def random_label(rng: np.random.Generator, min_len: int = 2, max_len: int = 10,
                 words: Sequence[str] = WORDS) -> str:
    """An English-like lowercase label of ``min_len..max_len`` characters from ``0-9a-z``.

    Mixes dictionary words, two-word compounds, made-up words, numbers, word+number codes
    and random strings, so a recogniser cannot just memorise a word list.

    Args:
        rng: the random source.
        min_len: shortest length (inclusive).
        max_len: longest length (inclusive).
        words: the vocabulary for the word-based kinds (lowercase ``a-z0-9`` only).

    Returns:
        The label.
    """
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    fitting = [w for w in words if min_len <= len(w) <= max_len]
    kind = rng.random()
    if kind < 0.40 and fitting:
        return fitting[int(rng.integers(len(fitting)))]
    if kind < 0.52 and words:
        a, b = (words[int(i)] for i in rng.integers(len(words), size=2))
        if min_len <= len(a + b) <= max_len:
            return a + b
    if kind < 0.64:
        return pseudo_word(rng, min_len, max_len)
    if kind < 0.76:
        return random_word(rng, "0123456789", min_len, max_len)
    if kind < 0.88 and fitting:
        w = fitting[int(rng.integers(len(fitting)))]
        room = max_len - len(w)
        if room >= 1:
            digits = random_word(rng, "0123456789", 1, min(room, 4))
            return w + digits if rng.random() < 0.7 else digits + w
        return w
    return random_word(rng, LOWERCASE_ALNUM, min_len, max_len)


def draw_text_mask(text: str, font: HersheyFont, text_height: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``text`` as white-on-black anti-aliased ink.

    Args:
        text: printable ASCII text.
        font: the font.
        text_height: target pixel height of an ascender-to-descender line.

    Returns:
        ``(mask, quad)``: a ``uint8`` ``HxW`` mask (255 = ink) with a few pixels of padding,
        and a ``4x2`` float32 quad (top-left, top-right, bottom-right, bottom-left) around the
        ink, in mask pixel coordinates (pixel ``(x, y)`` covers ``[x, x+1) x [y, y+1)``).

    Raises:
        ValueError: the text is not renderable (see :func:`check_renderable`).
    """
    check_renderable(text)
    face = font.cv2_font
    (_, h1), base1 = cv2.getTextSize("Hg", face, 1.0, 1)
    scale = text_height / float(h1 + base1)
    thickness = max(1, int(round(font.weight * scale * 1.1)))
    (w, h), base = cv2.getTextSize(text, face, scale, thickness)
    pad = thickness + int(math.ceil(0.4 * (h + base)))  # italic and thick strokes overhang the box
    mask = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(mask, text, (pad, pad + h), face, scale, 255, thickness, cv2.LINE_AA)
    ys, xs = np.nonzero(mask)
    if len(xs):
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    else:  # cannot happen for visible text; keep the nominal box as a fallback
        x0, x1, y0, y1 = pad, pad + w, pad, pad + h + base
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    return mask, quad


def make_background(rng: np.random.Generator, height: int, width: int, *, base_range: tuple[int, int] = (175, 250),
                    gradient: float = 35.0, texture: float = 12.0, tint: float = 10.0) -> np.ndarray:
    """A light paper-like background: a flat tone, a linear gradient and soft blotches.

    Args:
        rng: the random source.
        height: image height.
        width: image width.
        base_range: range of the mean grey level.
        gradient: largest brightness change across the image.
        texture: largest amplitude of the low-frequency blotches.
        tint: largest per-channel colour offset.

    Returns:
        A ``float32`` ``HxWx3`` image in ``[0, 255]``.
    """
    base = rng.uniform(*base_range) + rng.uniform(-tint, tint, size=3)
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    span = max(height, width, 1)
    ramp = (np.cos(theta) * xx + np.sin(theta) * yy) / span
    img = np.empty((height, width, 3), np.float32)
    img[:] = base.astype(np.float32)
    img += (rng.uniform(0, gradient) * (ramp - ramp.mean()))[..., None]
    amp = rng.uniform(0, texture)
    if amp > 0.5:
        small = rng.normal(0, 1, size=(max(2, height // 8), max(2, width // 8))).astype(np.float32)
        blobs = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        img += (amp * blobs / (np.abs(blobs).max() + 1e-6))[..., None]
    return np.clip(img, 0, 255)


def composite(background: np.ndarray, mask: np.ndarray, color: Sequence[float]) -> np.ndarray:
    """Lay ink of ``color`` over ``background`` with ``mask`` (0..255) as coverage.

    Args:
        background: ``HxWx3`` image (any numeric dtype).
        mask: ``HxW`` ``uint8`` coverage.
        color: BGR ink colour.

    Returns:
        ``float32`` ``HxWx3`` image.
    """
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    return background.astype(np.float32) * (1 - alpha) + np.asarray(color, np.float32) * alpha


def render_line(text: str, rng: np.random.Generator, font: HersheyFont | str | None = None, height: int = 32, *,
                max_angle: float = 2.0, max_shear: float = 0.15, margin: tuple[int, int] = (1, 4),
                blur_prob: float = 0.3, max_blur_sigma: float = 0.8, max_noise: float = 6.0,
                supersample: int = 2, return_quad: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Render one text line as a cropped BGR image of fixed height.

    Dark ink on a light textured background, slightly rotated and sheared, cropped to the
    ink plus a margin of ``margin`` pixels per side, then optionally blurred and noised.

    Args:
        text: printable ASCII text (Hershey fonts draw nothing else).
        rng: the random source; the output is a pure function of it and the arguments.
        font: a :class:`HersheyFont`, a face name, or ``None`` for :func:`random_font`.
        height: output height in pixels (at least 8).
        max_angle: largest rotation in degrees (uniform in ``[-max_angle, max_angle]``).
        max_shear: largest horizontal shear factor.
        margin: inclusive pixel range of the margin drawn per side.
        blur_prob: probability of a Gaussian blur.
        max_blur_sigma: largest blur sigma in output pixels.
        max_noise: largest standard deviation of additive Gaussian noise.
        supersample: draw at this multiple of the output size and downscale (smoother strokes).
        return_quad: also return the ink quad.

    Returns:
        ``HxWx3`` ``uint8`` BGR image; with ``return_quad``, also a ``4x2`` float32 quad
        (top-left, top-right, bottom-right, bottom-left, clockwise) in output pixel
        coordinates that encloses all ink.

    Raises:
        ValueError: non-ASCII or blank text, or an out-of-range argument.
    """
    check_renderable(text)
    if height < 8:
        raise ValueError(f"height must be at least 8, got {height}")
    if not 0 <= margin[0] <= margin[1] or 2 * margin[1] >= height - 4:
        raise ValueError(f"margin must be (low, high) with 0 <= low <= high and 2*high < height-4, got {margin}")
    if supersample < 1:
        raise ValueError(f"supersample must be >= 1, got {supersample}")
    if font is None:
        font = random_font(rng)
    elif isinstance(font, str):
        font = HersheyFont(face=font)

    m_top, m_bottom, m_left, m_right = (int(v) for v in rng.integers(margin[0], margin[1] + 1, size=4))
    inner = height - m_top - m_bottom  # output pixels the ink quad's height maps to
    mask, quad = draw_text_mask(text, font, text_height=int(round(inner * supersample * 0.95)))

    # Rotation and shear about the ink centre, then shift so the warped quad sits at the margins.
    angle = math.radians(rng.uniform(-max_angle, max_angle))
    shear = rng.uniform(-max_shear, max_shear)
    cx, cy = quad.mean(axis=0)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    lin = rot @ np.array([[1.0, -shear], [0.0, 1.0]])
    # Grow the quad by one source pixel so interpolation spill stays inside it.
    grown = quad + np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32)
    warped = (grown - [cx, cy]) @ lin.T
    lo, hi = warped.min(axis=0), warped.max(axis=0)
    k = (hi[1] - lo[1]) / inner  # work pixels per output pixel
    shift = np.array([m_left * k, m_top * k]) - lo
    affine = np.hstack([lin, (shift - lin @ [cx, cy])[:, None]]).astype(np.float64)
    out_w_work = hi[0] - lo[0] + (m_left + m_right) * k
    out_h_work = hi[1] - lo[1] + (m_top + m_bottom) * k
    wsz = (int(math.ceil(out_w_work)), int(math.ceil(out_h_work)))
    ink = cv2.warpAffine(mask, affine, wsz, flags=cv2.INTER_LINEAR, borderValue=0)
    quad_work = warped + shift

    width = max(1, int(round(out_w_work / k)))
    ink = cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA)
    out_quad = quad_work * [width / wsz[0], height / wsz[1]]

    bg = make_background(rng, height, width)
    level = float(bg.mean())
    ink_grey = rng.uniform(0, min(90.0, level - 90.0))
    color = np.clip(ink_grey + rng.uniform(-20, 20, size=3), 0, 255)
    img = composite(bg, ink, color)
    if rng.random() < blur_prob:
        sigma = rng.uniform(0.3, max_blur_sigma)
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise_sd = rng.uniform(0, max_noise)
    if noise_sd > 0:
        img = img + rng.normal(0, noise_sd, size=img.shape).astype(np.float32)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if return_quad:
        return img, out_quad.astype(np.float32)
    return img

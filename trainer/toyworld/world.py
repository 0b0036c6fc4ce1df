"""ToyWorld: a procedural image world with captions, deterministic from a seed.

Pictures are drawn with PIL at ``DRAW_SIZE`` (64 px) and shrunk by an exact 2×2 box filter to
``NATIVE_SIZE`` (32 px), the base model's native resolution. Every picture is one object
(``dog``, ``cat`` or ``car``, in one of the palette's everyday colours) standing on the ground of
one scene (``beach``, ``snow``, ``forest``, ``night``, ``city``). A :class:`Spec` says all of that
plus a layout seed (position, size, facing, scenery details), so ``render(spec)`` is a pure
function.

*Subjects* are specific instances with a look the world's own pictures never have (colours
outside the palette, markings): the held-out "user's dog" of DreamBench at toy scale. Their
photos are never on the beach, so "<token> dog on the beach" measures recontextualisation.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = [
    "CLASSES",
    "CLASS_COLOURS",
    "DRAW_SIZE",
    "NATIVE_SIZE",
    "PALETTE",
    "PHOTO_SIZE",
    "SCENES",
    "PLACES",
    "SUBJECTS",
    "Spec",
    "Subject",
    "caption",
    "class_prompt",
    "random_shapes",
    "render",
    "sample_pairs",
    "sample_spec",
    "subject_photo_specs",
    "subject_photos",
    "write_subject_photos",
]

DRAW_SIZE = 64
NATIVE_SIZE = 32
PHOTO_SIZE = 256
"""Subject photos are saved at this size (nearest-neighbour upscale of the 64 px drawing), so
they pass the upload checks (shorter side ≥ 256 px, sharp); the trainer shrinks them back."""

RGB = tuple[int, int, int]

PALETTE: dict[str, RGB] = {
    "red": (200, 35, 35),
    "blue": (40, 75, 200),
    "green": (40, 150, 60),
    "yellow": (235, 200, 40),
    "orange": (235, 125, 30),
    "brown": (125, 80, 40),
    "black": (30, 30, 30),
    "white": (240, 240, 235),
    "grey": (135, 135, 135),
}
"""The everyday colours objects come in, named in captions. Subjects use colours outside it."""

CLASS_COLOURS: dict[str, tuple[str, ...]] = {
    "dog": ("brown", "black", "white", "grey", "yellow"),
    "cat": ("black", "white", "grey", "orange", "brown"),
    "car": ("red", "blue", "green", "yellow", "white", "black", "grey"),
}
CLASSES = tuple(CLASS_COLOURS)
SCENES = ("beach", "snow", "forest", "night", "city")

_SCENE_PHRASES: dict[str, tuple[str, ...]] = {
    "beach": ("on the beach", "at the beach"),
    "snow": ("in the snow",),
    "forest": ("in the forest",),
    "night": ("at night",),
    "city": ("in the city", "in paris"),
}
PLACES: dict[str, str] = {scene: phrases[0] for scene, phrases in _SCENE_PHRASES.items()}
"""Each scene's usual phrase: "a photo of a dog" + " on the beach"."""


@dataclass(frozen=True)
class Subject:
    name: str
    cls: str
    description: str
    colours: tuple[RGB, ...]
    """The subject's signature colours (outside the palette), main colour first."""


PINK: RGB = (245, 105, 180)
PURPLE: RGB = (140, 60, 200)
TEAL: RGB = (0, 175, 165)

SUBJECTS: dict[str, Subject] = {
    s.name: s
    for s in (
        Subject("pinkdog", "dog", "a pink dog with a white band", (PINK,)),
        Subject("spotdog", "dog", "a white dog with purple spots", (PURPLE,)),
        Subject("tealcar", "car", "a two-tone car: teal body, white roof", (TEAL,)),
    )
}
_SUBJECT_SCENES = ("snow", "forest", "night", "city")
"""Subject photos are never on the beach."""


@dataclass(frozen=True)
class Spec:
    cls: str
    colour: str
    """A palette name; ignored (but kept for captions of the class) when ``subject`` is set."""
    scene: str
    seed: int
    """Layout: position, size, facing, scenery details."""
    subject: str | None = None
    facing: str | None = None
    """``left``/``right``; None: from the layout seed."""
    scale: float | None = None
    """Object size, 0.7–1.2; None: from the layout seed."""

    def __post_init__(self) -> None:
        if self.cls not in CLASS_COLOURS:
            raise ValueError(f"unknown class {self.cls!r}; one of {', '.join(CLASSES)}")
        if self.scene not in SCENES:
            raise ValueError(f"unknown scene {self.scene!r}; one of {', '.join(SCENES)}")
        if self.colour not in PALETTE:
            raise ValueError(f"unknown colour {self.colour!r}; one of {', '.join(PALETTE)}")
        if self.subject is not None:
            if self.subject not in SUBJECTS:
                raise ValueError(f"unknown subject {self.subject!r}; one of {', '.join(SUBJECTS)}")
            if SUBJECTS[self.subject].cls != self.cls:
                raise ValueError(f"subject {self.subject!r} is a {SUBJECTS[self.subject].cls}")


# --------------------------------------------------------------------------- sampling


def sample_spec(rng: random.Random, *, scenes: tuple[str, ...] = SCENES) -> Spec:
    cls = rng.choice(CLASSES)
    return Spec(
        cls=cls,
        colour=rng.choice(CLASS_COLOURS[cls]),
        scene=rng.choice(scenes),
        seed=rng.randrange(1 << 30),
    )


def caption(spec: Spec, rng: random.Random) -> str:
    """One of the varied caption forms for what ``spec`` draws (subjects: class words only)."""
    noun = spec.cls
    colour = "" if spec.subject else spec.colour + " "
    place = rng.choice(_SCENE_PHRASES[spec.scene])
    if spec.scene == "night" and _night_has_city(spec):
        place = rng.choice(("in the city at night", "at night"))
    form = rng.randrange(6)
    if form == 0:
        return f"a photo of a {colour}{noun} {place}"
    if form == 1:
        return f"a {colour}{noun} {place}"
    if form == 2:
        return f"a photo of a {noun} {place}"
    if form == 3:
        return f"a {noun} {place}"
    if form == 4:
        return f"a {colour}{noun}".replace("  ", " ")
    return f"a photo of a {colour}{noun}"


def class_prompt(cls: str) -> str:
    return f"a photo of a {cls}"


def sample_pairs(n: int, seed: int) -> list[tuple[Image.Image, str, Spec]]:
    """``n`` captioned native-size pictures of the world (never a subject)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        spec = sample_spec(rng)
        pairs.append((render(spec), caption(spec, rng), spec))
    return pairs


def iter_specs(seed: int) -> Iterator[Spec]:
    rng = random.Random(seed)
    while True:
        yield sample_spec(rng)


def subject_photo_specs(name: str, count: int = 5) -> list[Spec]:
    """The subject's "photos": varied pose, size and place, never the beach."""
    if name not in SUBJECTS:
        raise ValueError(f"unknown subject {name!r}; one of {', '.join(SUBJECTS)}")
    subject = SUBJECTS[name]
    rng = random.Random(f"subject:{name}")
    specs = []
    for i in range(count):
        specs.append(
            Spec(
                cls=subject.cls,
                colour=CLASS_COLOURS[subject.cls][0],
                scene=_SUBJECT_SCENES[i % len(_SUBJECT_SCENES)],
                seed=rng.randrange(1 << 30),
                subject=name,
                facing=("right", "left")[i % 2],
                scale=(0.8, 1.1, 0.95, 1.2, 0.85, 1.0)[i % 6],
            )
        )
    return specs


def subject_photos(name: str, count: int = 5, *, size: int = NATIVE_SIZE) -> list[Image.Image]:
    return [render(spec, size=size) for spec in subject_photo_specs(name, count)]


def write_subject_photos(name: str, folder: str | Path, count: int = 5) -> list[Path]:
    """PNG photos of a subject at ``PHOTO_SIZE`` px, ready for upload or ``dreamchat train``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, spec in enumerate(subject_photo_specs(name, count)):
        image = render(spec, size=DRAW_SIZE).resize(
            (PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.NEAREST
        )
        path = out / f"{name}-{i + 1}.png"
        image.save(path, format="PNG", optimize=False)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- drawing


def render(spec: Spec, *, size: int = NATIVE_SIZE) -> Image.Image:
    """The picture ``spec`` describes, at ``size`` px (32, or the 64 px drawing itself)."""
    rng = random.Random(spec.seed)
    image = Image.new("RGB", (DRAW_SIZE, DRAW_SIZE))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(28, 36)
    _SCENE_PAINTERS[spec.scene](draw, rng, horizon, spec)
    facing = spec.facing or rng.choice(("left", "right"))
    scale = spec.scale if spec.scale is not None else rng.uniform(0.7, 1.2)
    ground = rng.randint(max(horizon + 14, 50), 60)
    x = rng.uniform(22, 42)
    layer = Image.new("RGBA", (DRAW_SIZE, DRAW_SIZE), (0, 0, 0, 0))
    _OBJECT_PAINTERS[spec.cls](ImageDraw.Draw(layer), rng, spec, scale, ground)
    if facing == "left":
        layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    # Objects are drawn centred at x = 32; shift to the layout position.
    shifted = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    shifted.paste(layer, (round(x) - DRAW_SIZE // 2, 0))
    image.paste(shifted, (0, 0), shifted)
    if size == DRAW_SIZE:
        return image
    return image.resize((size, size), Image.Resampling.BOX)


def _shade(colour: RGB, factor: float) -> RGB:
    if factor <= 1:
        return tuple(round(c * factor) for c in colour)  # type: ignore[return-value]
    return tuple(round(c + (255 - c) * (factor - 1)) for c in colour)  # type: ignore[return-value]


def _jitter(colour: RGB, rng: random.Random, amount: int = 10) -> RGB:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def _sky(draw: ImageDraw.ImageDraw, top: RGB, bottom: RGB, horizon: int) -> None:
    for y in range(horizon):
        t = y / max(1, horizon - 1)
        draw.line(
            [(0, y), (DRAW_SIZE, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )


def _beach(draw, rng, horizon, spec) -> None:
    _sky(draw, _jitter((95, 165, 235), rng), _jitter((170, 215, 250), rng), horizon)
    if rng.random() < 0.6:
        sx, sy, r = rng.randint(6, 58), rng.randint(4, max(5, horizon - 14)), rng.randint(3, 5)
        draw.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(255, 230, 90))
    sea = horizon + rng.randint(6, 10)
    draw.rectangle([0, horizon, DRAW_SIZE, sea], fill=_jitter((30, 105, 185), rng))
    for _ in range(3):
        wy, wx = rng.randint(horizon + 1, sea - 1), rng.randint(0, 50)
        draw.line([(wx, wy), (wx + rng.randint(6, 14), wy)], fill=(120, 180, 225))
    draw.rectangle([0, sea, DRAW_SIZE, DRAW_SIZE], fill=_jitter((228, 205, 145), rng))


def _snow(draw, rng, horizon, spec) -> None:
    _sky(draw, _jitter((190, 200, 215), rng, 6), _jitter((220, 226, 235), rng, 6), horizon)
    for _ in range(rng.randint(1, 3)):
        hx, hw = rng.randint(-10, 60), rng.randint(20, 40)
        draw.ellipse(
            [hx, horizon - rng.randint(4, 10), hx + hw, horizon + 12], fill=(232, 236, 244)
        )
    draw.rectangle([0, horizon, DRAW_SIZE, DRAW_SIZE], fill=_jitter((246, 248, 252), rng, 3))
    for _ in range(rng.randint(10, 25)):
        fx, fy = rng.randint(0, 63), rng.randint(0, 63)
        draw.point((fx, fy), fill=(255, 255, 255))
    for _ in range(2):
        y = rng.randint(horizon + 4, 62)
        draw.line([(rng.randint(0, 40), y), (rng.randint(30, 64), y)], fill=(215, 222, 235))


def _forest(draw, rng, horizon, spec) -> None:
    _sky(draw, _jitter((140, 190, 220), rng), _jitter((185, 215, 230), rng), horizon)
    draw.rectangle([0, horizon, DRAW_SIZE, DRAW_SIZE], fill=_jitter((70, 140, 55), rng))
    x = rng.randint(-6, 2)
    while x < DRAW_SIZE + 4:
        height, half = rng.randint(16, 28), rng.randint(5, 8)
        base = horizon + rng.randint(1, 5)
        draw.rectangle([x - 1, base - 4, x + 1, base + 2], fill=(80, 50, 25))
        draw.polygon(
            [(x - half, base - 2), (x + half, base - 2), (x, base - height)],
            fill=_jitter((25, 75, 35), rng, 8),
        )
        x += rng.randint(7, 13)
    for _ in range(6):
        gx, gy = rng.randint(0, 63), rng.randint(horizon + 6, 63)
        draw.line([(gx, gy), (gx + 1, gy - 2)], fill=(50, 115, 40))


def _night_has_city(spec: Spec) -> bool:
    return random.Random(spec.seed ^ 0x5EED).random() < 0.5


def _night(draw, rng, horizon, spec) -> None:
    _sky(draw, _jitter((8, 10, 30), rng, 4), _jitter((25, 30, 65), rng, 6), horizon)
    for _ in range(rng.randint(8, 18)):
        draw.point((rng.randint(0, 63), rng.randint(0, horizon - 2)), fill=(250, 250, 220))
    mx, my, r = rng.randint(8, 56), rng.randint(5, max(6, horizon - 14)), rng.randint(4, 6)
    draw.ellipse([mx - r, my - r, mx + r, my + r], fill=(240, 235, 190))
    if _night_has_city(spec):
        x = rng.randint(-4, 2)
        while x < DRAW_SIZE:
            w, h = rng.randint(6, 11), rng.randint(8, 20)
            draw.rectangle([x, horizon - h, x + w, horizon], fill=(18, 20, 30))
            for wy in range(horizon - h + 2, horizon - 1, 3):
                for wx in range(x + 2, x + w - 1, 3):
                    if rng.random() < 0.4:
                        draw.point((wx, wy), fill=(250, 215, 90))
            x += w + rng.randint(0, 3)
    draw.rectangle([0, horizon, DRAW_SIZE, DRAW_SIZE], fill=_jitter((32, 36, 44), rng, 5))


def _eiffel(draw, x: int, base: int, height: int, colour: RGB) -> None:
    half = height // 3
    draw.polygon(
        [
            (x - half, base),
            (x - 2, base - height * 2 // 3),
            (x, base - height),
            (x + 2, base - height * 2 // 3),
            (x + half, base),
        ],
        fill=colour,
    )
    # the arch between the legs and the platforms
    draw.ellipse([x - half // 2, base - height // 5, x + half // 2, base + height // 5], fill=None)
    draw.pieslice(
        [x - half // 2, base - height // 4, x + half // 2, base + height // 4],
        180,
        360,
        fill=(175, 195, 215),
    )
    draw.line(
        [(x - half * 2 // 3, base - height // 4), (x + half * 2 // 3, base - height // 4)],
        fill=colour,
        width=2,
    )
    draw.line([(x - 3, base - height // 2), (x + 3, base - height // 2)], fill=colour, width=1)


def _city(draw, rng, horizon, spec) -> None:
    sky_top, sky_bottom = _jitter((150, 175, 205), rng), _jitter((190, 205, 220), rng)
    _sky(draw, sky_top, sky_bottom, horizon)
    tower_x = rng.randint(10, 54)
    _eiffel(draw, tower_x, horizon, rng.randint(24, 30), (85, 72, 60))
    x = rng.randint(-4, 2)
    while x < DRAW_SIZE:
        w, h = rng.randint(6, 12), rng.randint(6, 18)
        if abs(x + w / 2 - tower_x) < 7:
            x += w
            continue
        tone = rng.randint(105, 160)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=(tone, tone, tone + 8))
        for wy in range(horizon - h + 2, horizon - 1, 3):
            for wx in range(x + 2, x + w - 1, 3):
                draw.point((wx, wy), fill=(tone - 45, tone - 40, tone - 25))
        x += w + rng.randint(1, 4)
    draw.rectangle([0, horizon, DRAW_SIZE, DRAW_SIZE], fill=_jitter((95, 95, 100), rng, 5))
    draw.rectangle([0, horizon, DRAW_SIZE, horizon + 3], fill=(150, 150, 150))
    y = rng.randint(horizon + 10, 60)
    for lx in range(rng.randint(0, 6), DRAW_SIZE, 12):
        draw.line([(lx, y), (lx + 6, y)], fill=(230, 230, 230))


_SCENE_PAINTERS = {
    "beach": _beach,
    "snow": _snow,
    "forest": _forest,
    "night": _night,
    "city": _city,
}


def _body_colour(spec: Spec, rng: random.Random) -> RGB:
    if spec.subject == "pinkdog":
        return PINK
    if spec.subject == "spotdog":
        return PALETTE["white"]
    if spec.subject == "tealcar":
        return TEAL
    return _jitter(PALETTE[spec.colour], rng, 8)


def _dog(draw, rng, spec, scale, ground) -> None:
    """Facing right: body, four legs, head with snout and a floppy ear, a raised tail."""
    s = scale
    colour = _body_colour(spec, rng)
    dark = _shade(colour, 0.6) if sum(colour) > 150 else _shade(colour, 1.5)
    leg_h, body_w, body_h = 7 * s, 22 * s, 10 * s
    cx, body_bottom = 32, ground - leg_h
    body = [cx - body_w / 2, body_bottom - body_h, cx + body_w / 2, body_bottom + 1]
    # tail first so the body covers its root
    tail_root = (cx - body_w / 2 + 2, body_bottom - body_h + 3)
    draw.line(
        [tail_root, (tail_root[0] - 6 * s, tail_root[1] - 7 * s)],
        fill=colour,
        width=max(2, round(2.5 * s)),
    )
    for lx in (
        cx - body_w / 2 + 2 * s,
        cx - body_w / 2 + 6 * s,
        cx + body_w / 2 - 8 * s,
        cx + body_w / 2 - 4 * s,
    ):
        draw.rectangle([lx, body_bottom - 2, lx + 3 * s, ground], fill=colour)
        draw.rectangle([lx, ground - 1, lx + 3 * s, ground], fill=dark)
    draw.ellipse(body, fill=colour)
    if spec.subject == "pinkdog":  # the white band around the middle
        draw.rectangle([cx - 2.5 * s, body[1] + 1, cx + 2.5 * s, body[3] - 1], fill=(250, 250, 250))
    if spec.subject == "spotdog":
        for dx, dy in ((-6, -2), (1, -5), (5, 0), (-2, 1)):
            r = 2.4 * s
            px, py = cx + dx * s, body_bottom - body_h / 2 + dy * s * 0.6
            draw.ellipse([px - r, py - r, px + r, py + r], fill=PURPLE)
    head_cx, head_cy, hr = cx + body_w / 2 - 1 * s, body_bottom - body_h - 3 * s, 5.5 * s
    draw.ellipse([head_cx - hr, head_cy - hr, head_cx + hr, head_cy + hr], fill=colour)
    draw.ellipse([head_cx + 2 * s, head_cy - 1 * s, head_cx + 9 * s, head_cy + 4 * s], fill=colour)
    draw.ellipse(
        [head_cx + 7.5 * s, head_cy - 0.5 * s, head_cx + 9.5 * s, head_cy + 1.5 * s],
        fill=(15, 15, 15),
    )
    draw.polygon(
        [
            (head_cx - 3 * s, head_cy - 4 * s),
            (head_cx + 1 * s, head_cy - 4 * s),
            (head_cx - 3 * s, head_cy + 5 * s),
        ],
        fill=dark,
    )
    if spec.subject == "spotdog":
        draw.ellipse(
            [head_cx - 3.5 * s, head_cy - 4.5 * s, head_cx - 0.5 * s, head_cy - 1.5 * s],
            fill=PURPLE,
        )
    draw.point((head_cx + 2 * s, head_cy - 2 * s), fill=(10, 10, 10))


def _cat(draw, rng, spec, scale, ground) -> None:
    """Facing right: a slimmer body, thin legs, a round head with two pointed ears, a tall curved tail."""
    s = scale * 0.85
    colour = _body_colour(spec, rng)
    dark = _shade(colour, 0.6) if sum(colour) > 150 else _shade(colour, 1.6)
    leg_h, body_w, body_h = 7 * s, 18 * s, 8 * s
    cx, body_bottom = 32, ground - leg_h
    back = cx - body_w / 2
    draw.arc(
        [back - 8 * s, body_bottom - body_h - 16 * s, back + 4 * s, body_bottom - body_h + 4 * s],
        160,
        280,
        fill=colour,
        width=max(2, round(2 * s)),
    )
    for lx in (back + 2 * s, back + 5 * s, cx + body_w / 2 - 6 * s, cx + body_w / 2 - 3 * s):
        draw.rectangle([lx, body_bottom - 2, lx + 2 * s, ground], fill=colour)
    draw.ellipse([back, body_bottom - body_h, cx + body_w / 2, body_bottom + 1], fill=colour)
    head_cx, head_cy, hr = cx + body_w / 2, body_bottom - body_h - 2 * s, 5 * s
    for ex in (-3.5, 1.5):
        draw.polygon(
            [
                (head_cx + ex * s, head_cy - hr + 2 * s),
                (head_cx + (ex + 3) * s, head_cy - hr + 1 * s),
                (head_cx + (ex + 1.5) * s, head_cy - hr - 5 * s),
            ],
            fill=colour,
        )
    draw.ellipse([head_cx - hr, head_cy - hr, head_cx + hr, head_cy + hr], fill=colour)
    draw.point((head_cx + 2.5 * s, head_cy - 1 * s), fill=(40, 170, 60))
    draw.line([(head_cx + 3 * s, head_cy + 1.5 * s), (head_cx + 8 * s, head_cy + 1 * s)], fill=dark)


def _car(draw, rng, spec, scale, ground) -> None:
    """Facing right: a long body, a cabin with two windows, two wheels, head- and taillights."""
    s = scale * 1.05
    colour = _body_colour(spec, rng)
    roof = (245, 245, 240) if spec.subject == "tealcar" else colour
    wheel_r = 3.6 * s
    cx, axle = 32, ground - wheel_r
    body_w, body_h = 30 * s, 8 * s
    body = [cx - body_w / 2, axle - body_h + 1, cx + body_w / 2, axle + 1]
    cabin_w, cabin_h = 17 * s, 7 * s
    cab_left = cx - body_w / 2 + 5 * s
    draw.polygon(
        [
            (cab_left, body[1] + 1),
            (cab_left + 2 * s, body[1] - cabin_h),
            (cab_left + cabin_w - 4 * s, body[1] - cabin_h),
            (cab_left + cabin_w, body[1] + 1),
        ],
        fill=roof,
    )
    glass = (170, 205, 230)
    mid = cab_left + cabin_w / 2
    draw.polygon(
        [
            (cab_left + 2 * s, body[1]),
            (cab_left + 3 * s, body[1] - cabin_h + 2 * s),
            (mid - 1 * s, body[1] - cabin_h + 2 * s),
            (mid - 1 * s, body[1]),
        ],
        fill=glass,
    )
    draw.polygon(
        [
            (mid + 1 * s, body[1]),
            (mid + 1 * s, body[1] - cabin_h + 2 * s),
            (cab_left + cabin_w - 4.5 * s, body[1] - cabin_h + 2 * s),
            (cab_left + cabin_w - 2 * s, body[1]),
        ],
        fill=glass,
    )
    draw.rounded_rectangle(body, radius=max(1, round(2 * s)), fill=colour)
    draw.rectangle(
        [body[2] - 2 * s, body[1] + 1 * s, body[2], body[1] + 3 * s], fill=(255, 235, 120)
    )
    draw.rectangle(
        [body[0], body[1] + 1 * s, body[0] + 1.5 * s, body[1] + 3 * s], fill=(210, 30, 30)
    )
    for wx in (cx - body_w / 2 + 6 * s, cx + body_w / 2 - 6 * s):
        draw.ellipse(
            [wx - wheel_r, axle - wheel_r, wx + wheel_r, axle + wheel_r], fill=(20, 20, 20)
        )
        hub = wheel_r * 0.4
        draw.ellipse([wx - hub, axle - hub, wx + hub, axle + hub], fill=(160, 160, 160))


_OBJECT_PAINTERS = {"dog": _dog, "cat": _cat, "car": _car}


# --------------------------------------------------------------------------- VAE data


def random_shapes(rng: random.Random, *, size: int = NATIVE_SIZE) -> Image.Image:
    """Random shapes in any colour on a random background: with world pictures, this is what
    the autoencoder learns from, so colours the world never shows (a pink subject) survive its
    round trip."""

    def colour() -> RGB:
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256))

    image = Image.new("RGB", (DRAW_SIZE, DRAW_SIZE), colour())
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.5:
        _sky(draw, colour(), colour(), rng.randint(10, 60))
    for _ in range(rng.randint(2, 9)):
        x0, y0 = rng.randint(-10, 60), rng.randint(-10, 60)
        x1, y1 = x0 + rng.randint(3, 40), y0 + rng.randint(3, 40)
        kind = rng.randrange(4)
        if kind == 0:
            draw.rectangle([x0, y0, x1, y1], fill=colour())
        elif kind == 1:
            draw.ellipse([x0, y0, x1, y1], fill=colour())
        elif kind == 2:
            draw.polygon([(x0, y1), (x1, y1), (rng.randint(x0, x1), y0)], fill=colour())
        else:
            draw.line([(x0, y0), (x1, y1)], fill=colour(), width=rng.randint(1, 4))
    for _ in range(rng.randint(0, 20)):
        draw.point((rng.randrange(64), rng.randrange(64)), fill=colour())
    if size == DRAW_SIZE:
        return image
    return image.resize((size, size), Image.Resampling.BOX)


def with_subject(spec: Spec, subject: str) -> Spec:
    return replace(
        spec,
        cls=SUBJECTS[subject].cls,
        subject=subject,
        colour=CLASS_COLOURS[SUBJECTS[subject].cls][0],
    )

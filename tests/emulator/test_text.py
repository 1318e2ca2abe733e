"""The emulator's generated transcripts: deterministic, and one coherent scene per video."""

from __future__ import annotations

import pytest

from memories_async.emulator._text import _SCENES, fake_transcripts


def _moments(name: str, seed: bytes = b"some bytes") -> list[str]:
    visual, _ = fake_transcripts(seed, name, 60)
    texts = [segment.text.rstrip(".") for segment in visual]
    texts[0] = texts[0].split(": ", 1)[1]  # after "Opening shot of <name words>: "
    return [text[0].lower() + text[1:] for text in texts]


@pytest.mark.parametrize(
    ("name", "scene"),
    [
        ("beach_sunset_surfers", "beach"),
        ("city_night_traffic", "city"),
        ("kitchen_pasta_cooking", "kitchen"),
        ("Morning Hike On The Trail", "mountain"),
    ],
)
def test_a_named_video_describes_the_scene_its_name_suggests(name: str, scene: str) -> None:
    moments = _moments(name)
    assert len(moments) >= 6 and set(moments) <= set(_SCENES[scene])
    assert fake_transcripts(b"some bytes", name, 60)[0][0].text.startswith(
        f"Opening shot of {name.replace('_', ' ')}: "
    )


def test_any_other_video_stays_in_one_scene_and_is_deterministic() -> None:
    for seed in (b"a", b"b", b"c", b"d"):
        moments = _moments("IMG_0042", seed)
        assert any(set(moments) <= set(lines) for lines in _SCENES.values()), moments
        assert moments == _moments("IMG_0042", seed)

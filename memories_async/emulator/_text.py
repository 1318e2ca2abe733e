"""Deterministic text: word-overlap ranking, fake transcripts for uploads, summaries, answers.

Nothing here is clever on purpose: the same bytes, names and prompts always give the same
transcripts, scores and answers, so tests can assert on them.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Segment",
    "SummaryItem",
    "answer_text",
    "caption_text",
    "chapters_of",
    "fake_transcripts",
    "hhmmss",
    "score",
    "split_pieces",
    "summary_of",
    "terms",
    "topics_of",
]

_STOPWORD_TEXT = """
    a an and are as at be by did do does for from has have he her his i in is it its me my of
    on or our she so that the their them there these they this those to was we were what when
    where which who why will with you your find show give tell about video videos clip clips
    any all can please
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Segment:
    """A transcript segment: seconds from the start and the text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SummaryItem:
    """One chapter or topic of a summary."""

    title: str
    description: str
    start: int
    end: int


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def terms(text: str) -> set[str]:
    """The distinct, lower-cased, lightly stemmed content words of `text`."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def score(query: set[str], text: str) -> float:
    """Share of the query's terms found in `text`, nudged by how focused `text` is (0..1)."""
    if not query:
        return 0.0
    found = terms(text)
    hits = len(query & found)
    if hits == 0:
        return 0.0
    coverage = hits / len(query)
    focus = hits / max(len(found), 1)
    return round(0.9 * coverage + 0.1 * focus, 6)


def hhmmss(seconds: int) -> str:
    """Seconds as HH:MM:SS."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


_SCENES: dict[str, tuple[str, ...]] = {
    "beach": (
        "surfers paddle out from the beach past the breaking waves",
        "a surfer rides a long wave toward the shore",
        "two children build a sandcastle on the beach",
        "a lifeguard watches the swimmers from the tower",
        "the sun sinks behind the surfers as the beach empties",
        "a brown dog chases the foam along the sand",
    ),
    "city": (
        "cars stream through a busy intersection at night",
        "headlights blur across the wet street",
        "a cyclist waits at a red light under the neon signs",
        "a bus pulls up to a crowded stop",
        "pedestrians cross in front of the waiting taxis",
        "the traffic thins as the lights turn green again",
    ),
    "kitchen": (
        "a chef drops fresh pasta into boiling water",
        "garlic sizzles in olive oil in a wide pan",
        "the chef stirs tomato sauce with a wooden spoon",
        "basil leaves are torn over the simmering sauce",
        "the pasta is drained and tossed in the pan",
        "a plate of pasta is finished with grated parmesan",
    ),
    "park": (
        "a woman in a red jacket walks her dog along the path",
        "two children swing on the playground",
        "an elderly man feeds pigeons from a bench",
        "joggers pass under the tall trees",
        "a street musician plays guitar by the fountain",
        "friends spread a blanket on the grass for a picnic",
    ),
    "mountain": (
        "hikers climb a rocky trail above the tree line",
        "a hiker stops to look over the valley",
        "clouds drift across the snowy peaks",
        "the group crosses a narrow wooden bridge",
        "a marmot watches the hikers from a boulder",
        "the trail winds down toward a mountain lake",
    ),
    "station": (
        "commuters wait on a crowded train platform",
        "a train slides into the station",
        "passengers step off and hurry to the exits",
        "a conductor waves from the open door",
        "a man checks the departure board",
        "the train pulls away into the tunnel",
    ),
    "market": (
        "shoppers browse stalls of fruit and vegetables",
        "a vendor weighs a bag of oranges",
        "a baker sets out fresh bread on the counter",
        "two friends taste cheese at a stall",
        "a delivery driver carries boxes across the square",
        "the stalls are packed away at the end of the day",
    ),
    "office": (
        "a team gathers around a whiteboard",
        "a woman presents charts on a large screen",
        "colleagues type quietly at their desks",
        "someone pours coffee in the small kitchen",
        "two people talk over a printed plan",
        "the lights go off as the last person leaves",
    ),
}
"""Each video's transcript stays in one scene, chosen from its name (or its bytes)."""

_SCENE_WORDS: dict[str, frozenset[str]] = {
    "beach": frozenset({"beach", "surf", "surfer", "surfers", "sea", "ocean", "sunset", "waves"}),
    "city": frozenset({"city", "traffic", "street", "night", "car", "cars", "downtown"}),
    "kitchen": frozenset({"kitchen", "cooking", "cook", "pasta", "recipe", "chef", "food"}),
    "park": frozenset({"park", "picnic", "playground", "dog", "garden"}),
    "mountain": frozenset({"mountain", "hike", "hiking", "trail", "snow", "snowy", "alps"}),
    "station": frozenset({"train", "station", "platform", "subway", "metro", "commute"}),
    "market": frozenset({"market", "shop", "shopping", "stall", "bazaar"}),
    "office": frozenset({"office", "meeting", "work", "team", "desk"}),
}

_SAYINGS = (
    "Okay, let's get started.",
    "Look over there, do you see it?",
    "I think we should go this way.",
    "That was amazing, let's do it again.",
    "Can you hold this for a second?",
    "We're almost there, keep going.",
    "Wow, the view from here is beautiful.",
    "Don't forget to bring the bags.",
)


def _name_words(name: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return " ".join(words) or "untitled"


def _scene_for(name: str, rng: random.Random) -> tuple[str, ...]:
    words = {w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w}
    for scene, markers in _SCENE_WORDS.items():
        if words & markers:
            return _SCENES[scene]
    return _SCENES[rng.choice(sorted(_SCENES))]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def fake_transcripts(seed: bytes, name: str, duration: int) -> tuple[list[Segment], list[Segment]]:
    """Visual and audio transcripts for an uploaded file, derived from a hash of it and its name.

    Every visual segment describes the one scene the file's name suggests (a random one when it
    suggests none), in an order drawn from the bytes; the first also names the file's words, so
    searching for them finds the upload.
    """
    rng = random.Random(hashlib.sha256(seed + b"\0" + name.encode()).digest())
    scene = list(_scene_for(name, rng))
    rng.shuffle(scene)  # other bytes, another cut of the same scene
    visual: list[Segment] = []
    audio: list[Segment] = []
    start = 0
    while start < duration or not visual:
        end = min(duration, start + rng.randint(4, 10)) if duration > 0 else 0
        end = max(end, start)
        moment = scene[len(visual) % len(scene)]
        text = f"Opening shot of {_name_words(name)}: {moment}" if not visual else moment
        visual.append(Segment(start, end, _sentence(text)))
        audio.append(Segment(start, end, rng.choice(_SAYINGS)))
        if end <= start:
            break
        start = end
    return visual, audio


def _headline(text: str, words: int = 6) -> str:
    picked = [w.strip(".,:;!?\"'") for w in text.split()[:words]]
    return " ".join(w for w in picked if w).capitalize() or "Scene"


def chapters_of(segments: Sequence[Segment], duration: int) -> list[SummaryItem]:
    """Up to four chapters, each spanning consecutive segments."""
    if not segments:
        return []
    per = max(1, -(-len(segments) // 4))
    items = []
    for i in range(0, len(segments), per):
        group = segments[i : i + per]
        end = group[-1].end if i + per < len(segments) else max(duration, group[-1].end)
        items.append(
            SummaryItem(
                _headline(group[0].text),
                " ".join(s.text for s in group),
                group[0].start,
                end,
            )
        )
    return items


def topics_of(segments: Sequence[Segment]) -> list[SummaryItem]:
    """Up to three topics: the most frequent content words and where they first appear."""
    counts: Counter[str] = Counter()
    for s in segments:
        counts.update(w for w in terms(s.text) if len(w) > 3)
    items = []
    for word, _ in counts.most_common(3):
        hits = [s for s in segments if word in terms(s.text)]
        items.append(
            SummaryItem(
                word.capitalize(),
                " ".join(s.text for s in hits[:2]),
                hits[0].start,
                hits[-1].end,
            )
        )
    return items


def summary_of(name: str, segments: Sequence[Segment]) -> str:
    """A one-paragraph summary built from the first segments."""
    if not segments:
        return f"The video {name!r} has no visible content."
    body = " ".join(s.text for s in segments[:3])
    return f"The video {name!r} shows the following. {body}"


def answer_text(prompt: str, hits: Iterable[tuple[str, Segment]]) -> str:
    """A chat answer that quotes the matched segments with their timestamps."""
    lines = [f'Here is what I found about "{prompt.strip()}":']
    found = False
    for video_name, seg in hits:
        found = True
        lines.append(f"- In {video_name} ({hhmmss(seg.start)}-{hhmmss(seg.end)}): {seg.text}")
    if not found:
        lines.append("- Nothing in the selected videos matches that question directly.")
    return "\n".join(lines)


def split_pieces(text: str, words: int = 3) -> list[str]:
    """Cut text into small pieces of about `words` words that concatenate back to `text`."""
    parts = re.findall(r"\S+\s*|\s+", text)
    return ["".join(parts[i : i + words]) for i in range(0, len(parts), words)] or [""]


def caption_text(prompt: str, source: str, persons: Sequence[str]) -> str:
    """A caption for a video or image, naming the persons asked for."""
    rng = random.Random(hashlib.sha256(f"{prompt}\0{source}".encode()).digest())
    text = _sentence(rng.choice(_scene_for(source, rng)))
    for i, person in enumerate(persons):
        seconds = 2 + 3 * i + rng.randint(0, 2)
        text += f" {person} is identified by the reference image at {hhmmss(seconds)}."
    return text

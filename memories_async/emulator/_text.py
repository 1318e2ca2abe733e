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


_SUBJECTS = (
    "a woman in a red jacket",
    "two children",
    "an elderly man",
    "a brown dog",
    "a cyclist",
    "a group of friends",
    "a chef",
    "a street musician",
    "a delivery driver",
    "a cat",
)
_ACTIONS = (
    "walks along",
    "waits beside",
    "laughs near",
    "carries boxes across",
    "points at something on",
    "sits quietly by",
    "runs through",
    "takes photos of",
)
_PLACES = (
    "a sunny beach",
    "a crowded market",
    "a city park",
    "a quiet kitchen",
    "a parking lot",
    "a mountain trail",
    "a train platform",
    "a snowy street",
    "a small office",
    "a riverside path",
)
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


def fake_transcripts(seed: bytes, name: str, duration: int) -> tuple[list[Segment], list[Segment]]:
    """Visual and audio transcripts for an uploaded file, derived from a hash of it and its name.

    The first visual segment names the file's words, so searching for them finds the upload.
    """
    rng = random.Random(hashlib.sha256(seed + b"\0" + name.encode()).digest())
    visual: list[Segment] = []
    audio: list[Segment] = []
    start = 0
    while start < duration or not visual:
        end = min(duration, start + rng.randint(4, 10)) if duration > 0 else 0
        end = max(end, start)
        scene = f"{rng.choice(_SUBJECTS)} {rng.choice(_ACTIONS)} {rng.choice(_PLACES)}"
        if not visual:
            scene = f"Opening shot of {_name_words(name)}: {scene}"
        visual.append(Segment(start, end, scene[0].upper() + scene[1:] + "."))
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
    scene = f"{rng.choice(_SUBJECTS)} {rng.choice(_ACTIONS)} {rng.choice(_PLACES)}"
    text = f"{scene[0].upper()}{scene[1:]}."
    for i, person in enumerate(persons):
        seconds = 2 + 3 * i + rng.randint(0, 2)
        text += f" {person} is identified by the reference image at {hhmmss(seconds)}."
    return text

"""Which language a text is in: the Unicode script first, then lingua for Latin-script text.

Hangul is Korean, Thai script is Thai, kana is Japanese, Han without kana is Chinese, and so on;
only Latin (and Cyrillic) text needs a statistical detector. lingua is built once per process,
lazily, over a fixed list of languages. Texts too short to tell fall back to the language the
respondent answered in (or the importer gave).
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

# (first, last, script) code point ranges, checked in order.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0x1780, 0x17FF, "khmer"),
    (0x3040, 0x309F, "kana"),
    (0x30A0, 0x30FF, "kana"),
    (0x31F0, 0x31FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xD7B0, 0xD7FF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFF66, 0xFF9F, "kana"),
    (0xFFA0, 0xFFDC, "hangul"),
    (0x20000, 0x2FA1F, "han"),
)

# A language per script where the script settles it.
SCRIPT_LANGUAGE: dict[str, str] = {
    "hangul": "ko",
    "thai": "th",
    "kana": "ja",
    "han": "zh",
    "greek": "el",
    "armenian": "hy",
    "hebrew": "he",
    "arabic": "ar",
    "devanagari": "hi",
    "bengali": "bn",
    "tamil": "ta",
    "lao": "lo",
    "myanmar": "my",
    "georgian": "ka",
    "khmer": "km",
}
# One Hangul syllable or Han character carries about as much as a short Latin word's letters:
# weigh scripts so "배송이 slow 했어요" is Korean and "app 사용 ok" is not English by letter count.
_WEIGHT = {"hangul": 2.5, "han": 2.5, "kana": 1.5}

# Latin-script languages lingua chooses among (and Cyrillic ones).
LINGUA_LANGUAGES = (
    "ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE", "INDONESIAN", "VIETNAMESE",
    "MALAY", "ITALIAN", "DUTCH", "TAGALOG", "TURKISH", "POLISH", "SWEDISH", "DANISH",
    "BOKMAL", "RUSSIAN", "UKRAINIAN",
)  # fmt: skip
LATIN_LANGUAGES = frozenset(
    {"en", "es", "fr", "de", "pt", "id", "vi", "ms", "it", "nl", "tl", "tr", "pl", "sv", "da", "nb"}
)
# Fewer letters than this (or fewer than MIN_WORDS words) is too little for lingua to judge.
MIN_LETTERS = 12
MIN_WORDS = 3
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Detected:
    """A text's language (ISO 639-1, "" when unknown) and its main script."""

    language: str
    script: str


def char_script(ch: str) -> str:
    """The script of one character ("" for digits, punctuation, spaces, emoji)."""
    code = ord(ch)
    if code < 0x41:
        return ""
    for first, last, script in _RANGES:
        if first <= code <= last:
            if script == "latin" and not ch.isalpha():
                return ""
            return script
    return ""


def script_counts(text: str) -> Counter[str]:
    """How many letters of each script the text has."""
    counts: Counter[str] = Counter()
    for ch in text:
        script = char_script(ch)
        if script:
            counts[script] += 1
    return counts


def main_script(counts: Counter[str]) -> str:
    """The script that carries most of the text ("none" when there are no letters)."""
    if not counts:
        return "none"
    # Japanese mixes kana with Han: any real share of kana makes Han text Japanese.
    if counts["kana"] and counts["kana"] >= 0.1 * (counts["kana"] + counts["han"]):
        counts = Counter(counts)
        counts["kana"] += counts.pop("han", 0)
    return max(counts, key=lambda s: counts[s] * _WEIGHT.get(s, 1.0))


class _Lingua:
    """The lingua detector, built on first use (about 0.1 s) and shared by threads."""

    def __init__(self) -> None:
        self._detector: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import Language, LanguageDetectorBuilder

                    languages = [getattr(Language, name) for name in LINGUA_LANGUAGES]
                    self._detector = LanguageDetectorBuilder.from_languages(*languages).build()
        return self._detector


_LINGUA = _Lingua()


def _lingua_code(language: Any) -> str:
    return str(language.iso_code_639_1.name).lower()


def _latin(text: str, hint: str) -> str:
    letters = sum(1 for ch in text if ch.isalpha())
    words = len(text.split())
    if letters < MIN_LETTERS or words < MIN_WORDS:
        return hint if hint in LATIN_LANGUAGES else "en"
    values = _LINGUA.get().compute_language_confidence_values(text)
    if not values:
        return hint if hint in LATIN_LANGUAGES else "en"
    best = values[0]
    if best.value < MIN_CONFIDENCE and hint in LATIN_LANGUAGES:
        return hint
    return _lingua_code(best.language)


def detect(text: str, hint: str = "") -> Detected:
    """The language and script of `text`; `hint` is the response's (or importer's) language."""
    hint = (hint or "").split("-")[0].lower()
    normalized = unicodedata.normalize("NFC", text)
    counts = script_counts(normalized)
    script = main_script(counts)
    if script == "none":
        return Detected(hint, script)
    if script in SCRIPT_LANGUAGE:
        return Detected(SCRIPT_LANGUAGE[script], script)
    if script == "latin":
        return Detected(_latin(normalized, hint), script)
    if script == "cyrillic":
        values = _LINGUA.get().compute_language_confidence_values(normalized)
        code = _lingua_code(values[0].language) if values else "ru"
        return Detected(code if code in {"ru", "uk"} else "ru", script)
    return Detected(hint, script)


def warm_up() -> None:
    """Build the detector now (start-up), not on the first Latin comment."""
    _LINGUA.get()

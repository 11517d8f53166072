"""Tokens per language: kiwipiepy morphemes for Korean, pythainlp newmm words for Thai, character
bigrams for Chinese and Japanese, and lower-cased words with light stemming elsewhere.

Tokens are normalized so that a search, a theme keyword and a comment tokenized the same way
meet: Korean verbs and adjectives become their dictionary form (늦었어요 -> 늦다), English words
lose plural and tense endings (deliveries -> delivery, arrived -> arriv), Thai and Latin letters
repeated for emphasis are collapsed (มากกกก -> มาก, soooo -> soo). Negation words stay (not,
안, 못, 없다, 않다, ไม่): they matter for sentiment and for phrase search.

Nothing here downloads anything: pythainlp runs offline and read-only with its bundled newmm
dictionary (PYTHAINLP_OFFLINE, PYTHAINLP_READ_ONLY), kiwipiepy uses its installed model.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

# pythainlp reads these when it is imported: never download, never write a data folder.
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)  # noqa: RUF001
_REPEAT3 = re.compile(r"(.)\1{2,}")
_THAI_RUN = re.compile(r"([\u0e01-\u0e2e])\1{2,}")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NOT_JAMO = re.compile(r"[^\u3131-\u318e]+")
_THAI_KEEP = re.compile(r"[\u0e00-\u0e7fA-Za-z0-9]")


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


# Small stopword lists of our own: used for proposals and typical-term views, not for search
# (a phrase search keeps every word).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """a an the and or of to in on at for from by with as is are was were be been being it its
        this that these those i me my we our you your he she they them their his her there here
        have has had do does did doing so very just also too than then there's it's i'm i've
        will would could should can may might must shall about into over after before again more
        most some any all each other such only own same what which who whom when where why how
        up down out off if because while until get got one really much lot lots thing things us
        am im ive dont didnt"""
    ),
    "ko": _words(
        """것 수 등 때 거 이다 있다 하다 되다 그 이 저 좀 더 또 및 제 저희 우리 나 너
        분 번 게 들 중 안녕 요 네 그냥 정말 진짜 너무 아주 매우 많이 조금"""
    ),
    "th": _words(
        """ที่ และ ของ ก็ ว่า ให้ ได้ มี เป็น ใน จะ การ
        ความ แล้ว กับ นี้ นั้น ไป มา อยู่ คือ ครับ ค่ะ
        คะ นะ จ้า จ้ะ ค่า คับ ฮะ เลย ด้วย อีก ๆ ที ก่อน
        หลัง ซึ่ง โดย เพื่อ แต่ หรือ เรา ผม ฉัน ดิฉัน
        เขา คุณ มาก ๆ"""
    ),
}
NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "nothing", "nobody", "none", "hardly", "without"}),
    "ko": frozenset({"안", "못", "않다", "없다", "아니다", "별로"}),
    "th": frozenset({"ไม่", "ไม่ได้", "ไม่มี", "มิ", "ห้าม"}),
}

_KO_KEEP_NOUN = frozenset({"NNG", "NNP", "XR", "SH"})
_KO_PREDICATE = frozenset({"VV", "VA", "VX", "VCN"})
_KO_EMOTICON = re.compile(r"^[ㅋㅎㅠㅜ]+$")


def _nfkc(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group(0))


def normalize(text: str) -> str:
    """NFKC (but Korean jamo such as ㅠㅠ stay), case-folded, runs of one letter shortened
    (Thai to one, others to two)."""
    text = _NOT_JAMO.sub(_nfkc, text).casefold()
    text = _THAI_RUN.sub(r"\1", text)
    return _REPEAT3.sub(r"\1\1", text)


def _strip_suffix(word: str, size: int) -> str:
    """`word` without an -ed/-ing ending (shipped -> ship), unless too little would remain
    (setting stays: "set" would meet unrelated words)."""
    stem = word[:-size]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        stem = stem[:-1]
    return stem if len(stem) >= 4 else word


def stem_en(word: str) -> str:
    """A light English stemmer: plural, -ed, -ing, final e; enough to match word forms."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 4:
        word = _strip_suffix(word, 2)
    elif word.endswith("ing") and len(word) > 5:
        word = _strip_suffix(word, 3)
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


# Stopwords are compared with stemmed tokens.
STOPWORDS["en"] = frozenset(STOPWORDS["en"] | {stem_en(w) for w in STOPWORDS["en"]})


def _expand_contraction(word: str) -> list[str]:
    word = word.replace("’", "'")  # noqa: RUF001
    if word.endswith("n't"):
        head = {"can't": "can", "won't": "will", "shan't": "shall"}.get(word, word[:-3])
        return [head, "not"] if head else ["not"]
    if "'" in word:
        head, _sep, _tail = word.partition("'")
        return [head] if head else []
    return [word]


def words(text: str) -> list[str]:
    """Lower-cased words of already normalized text, contractions opened (didn't -> did not)."""
    out: list[str] = []
    for match in _WORD_RE.finditer(text):
        out.extend(_expand_contraction(match.group(0)))
    return out


def _default_tokens(text: str, language: str) -> list[str]:
    tokens = words(text)
    if language == "en":
        return [stem_en(t) for t in tokens]
    return tokens


def _cjk_tokens(text: str) -> list[str]:
    """Character bigrams of Han and kana runs (single characters alone), words elsewhere."""
    tokens: list[str] = []
    last = 0
    for match in _CJK_RUN.finditer(text):
        tokens.extend(words(text[last : match.start()]))
        run = match.group(0)
        if len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        last = match.end()
    tokens.extend(words(text[last:]))
    return tokens


class _Kiwi:
    """kiwipiepy's analyzer, loaded on first use (about 2 s) and shared."""

    def __init__(self) -> None:
        self._kiwi: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._kiwi is None:
            with self._lock:
                if self._kiwi is None:
                    from kiwipiepy import Kiwi

                    self._kiwi = Kiwi(num_workers=1, load_typo_dict=False, load_multi_dict=False)
        return self._kiwi


_KIWI = _Kiwi()


def _ko_from_morphemes(morphemes: Iterable[Any]) -> list[str]:
    tokens: list[str] = []
    for token in morphemes:
        tag = str(token.tag).split("-")[0]
        form = str(token.form)
        if (tag.startswith("NN") and tag != "NNB") or tag in _KO_KEEP_NOUN:
            tokens.append(form)
        elif tag in _KO_PREDICATE:
            tokens.append(form if form.endswith("다") else f"{form}다")
        elif tag == "MAG":
            tokens.append(form)
        elif tag in {"SL", "SN"}:
            tokens.append(form.casefold())
        elif tag == "SW" and _KO_EMOTICON.match(form):
            tokens.append(form[:2])
    return tokens


def _ko_tokens_many(texts: Sequence[str]) -> list[list[str]]:
    if not texts:
        return []
    kiwi = _KIWI.get()
    return [_ko_from_morphemes(result) for result in kiwi.tokenize(list(texts))]


class _Thai:
    """pythainlp's newmm word segmenter with its bundled dictionary, imported on first use."""

    def __init__(self) -> None:
        self._tokenize: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._tokenize is None:
            with self._lock:
                if self._tokenize is None:
                    from pythainlp.tokenize import word_tokenize

                    self._tokenize = word_tokenize
        return self._tokenize


_THAI = _Thai()


def korean_morphemes(text: str) -> list[Any]:
    """kiwipiepy's morphemes of a Korean text (each with form, tag, start and len)."""
    return list(_KIWI.get().tokenize(text))


def korean_tokens_of(morphemes: Iterable[Any]) -> list[str]:
    """The tokens the engine keeps from these morphemes (nouns, predicates as 다-forms, ...)."""
    return _ko_from_morphemes(morphemes)


def thai_segments(text: str) -> list[str]:
    """newmm's segmentation of a Thai text, whitespace kept, so offsets can be walked."""
    return list(_THAI.get()(text, engine="newmm", keep_whitespace=True))


def _th_tokens(text: str) -> list[str]:
    raw = _THAI.get()(text, engine="newmm", keep_whitespace=False)
    tokens: list[str] = []
    for token in raw:
        token = token.strip()
        if not token or token == "ๆ" or not _THAI_KEEP.search(token):
            continue
        if token.isascii():
            tokens.extend(_default_tokens(token, "en"))
        else:
            tokens.append(token)
    return tokens


def tokenize(text: str, language: str) -> list[str]:
    """The normalized tokens of one text in `language`."""
    return tokenize_many([text], [language])[0]


def tokenize_many(texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
    """Tokens of many texts at once (Korean ones go to kiwipiepy as one batch)."""
    normalized = [normalize(t) for t in texts]
    out: list[list[str]] = [[] for _ in texts]
    korean = [i for i, lang in enumerate(languages) if lang == "ko"]
    for index, tokens in zip(korean, _ko_tokens_many([normalized[i] for i in korean]), strict=True):
        out[index] = tokens
    for i, (text, lang) in enumerate(zip(normalized, languages, strict=True)):
        if lang == "ko":
            continue
        if lang == "th":
            out[i] = _th_tokens(text)
        elif lang in {"ja", "zh"}:
            out[i] = _cjk_tokens(text)
        else:
            out[i] = _default_tokens(text, lang)
    return out


def content_tokens(tokens: Iterable[str], language: str) -> list[str]:
    """Tokens without the language's stopwords, numbers and one-letter Latin words."""
    stop = STOPWORDS.get(language, frozenset())
    return [
        t for t in tokens if t not in stop and not t.isdigit() and not (t.isascii() and len(t) < 2)
    ]


def joined(tokens: Iterable[str]) -> str:
    """Tokens as stored on a comment: space separated, with a space at both ends."""
    body = " ".join(tokens)
    return f" {body} " if body else ""


def compact(text: str) -> str:
    """Normalized text without spaces (for substring matching in Korean and Thai)."""
    return "".join(normalize(text).split())


def warm_up(languages: Iterable[str] = ("ko", "th")) -> None:
    """Load the Korean and Thai analyzers now (start-up), not on the first comment."""
    wanted = set(languages)
    if "ko" in wanted:
        _KIWI.get().tokenize("준비")
    if "th" in wanted:
        _THAI.get()("พร้อม", engine="newmm")

"""Small sentiment lexicons of our own (English, Korean, Thai) and a VADER-style scorer.

The lexicons give the learned models two extra features (how many positive and negative words,
after negation) so a small seed corpus goes further; `vader_like` is the English baseline the
quality benchmark compares the models with: valences, negation, intensifiers, "but", capitals
and exclamation marks, in the manner of VADER (Hutto and Gilbert, 2014), written from scratch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from closeloop.text.tokens import normalize, stem_en


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


_EN_VALENCE_RAW: dict[str, float] = {
    # positive
    "good": 1.9, "great": 3.1, "excellent": 3.2, "amazing": 2.8, "awesome": 3.1, "love": 3.2,
    "loved": 2.9, "loves": 2.7, "lovely": 2.8, "like": 1.5, "liked": 1.8, "nice": 1.8,
    "best": 3.2, "better": 1.9, "perfect": 2.7, "fantastic": 2.6, "wonderful": 2.7,
    "happy": 2.7, "glad": 2.0, "pleased": 1.9, "satisfied": 1.8, "friendly": 2.2,
    "helpful": 1.8, "polite": 1.8, "kind": 2.4, "fast": 1.3, "quick": 1.2, "quickly": 1.2,
    "easy": 1.9, "simple": 1.0, "smooth": 1.4, "fresh": 1.3, "delicious": 2.7, "tasty": 2.0,
    "recommend": 1.5, "recommended": 1.5, "thanks": 1.9, "thank": 1.5, "appreciate": 2.0,
    "impressed": 2.0, "reliable": 1.6, "clean": 1.7, "convenient": 1.7, "worth": 1.2,
    "affordable": 1.4, "cheap": 0.6, "fair": 1.3, "enjoy": 2.2, "enjoyed": 2.3,
    "fine": 0.8, "ok": 0.9, "okay": 0.9, "beautiful": 2.9, "comfortable": 1.8, "solid": 1.0,
    "superb": 3.0, "outstanding": 3.0, "brilliant": 2.8, "super": 2.0, "incredible": 2.5,
    "professional": 1.4, "efficient": 1.5, "attentive": 1.5, "patient": 1.2, "intuitive": 1.8,
    "well": 1.1, "wow": 2.8, "yay": 2.4, "favorite": 2.0, "favourite": 2.0, "resolved": 1.2,
    # negative
    "bad": -2.5, "terrible": -3.1, "awful": -3.1, "horrible": -2.9, "worst": -3.1,
    "worse": -2.1, "poor": -2.1, "hate": -2.7, "hated": -3.2, "disappointed": -1.9,
    "disappointing": -2.2, "disappointment": -2.3, "slow": -1.2, "late": -1.0, "rude": -2.0,
    "unhelpful": -1.9, "useless": -1.8, "broken": -1.8, "wrong": -2.1, "cold": -0.7,
    "expensive": -1.1, "overpriced": -1.8, "pricey": -0.9, "dirty": -1.9, "annoying": -1.8,
    "annoyed": -1.6, "angry": -2.3, "frustrating": -2.0, "frustrated": -1.9, "confusing": -1.4,
    "confused": -1.3, "difficult": -1.5, "hard": -0.4, "problem": -1.7, "problems": -1.7,
    "issue": -0.9, "issues": -0.9, "fail": -2.3, "failed": -2.3, "fails": -1.9, "crash": -1.7,
    "crashes": -1.7, "crashed": -1.7, "bug": -1.2, "buggy": -1.8, "missing": -1.2, "lost": -1.3,
    "never": -0.5, "waste": -1.8, "wasted": -2.2, "unacceptable": -2.0, "ridiculous": -1.9,
    "sucks": -1.5, "stupid": -2.4, "mess": -1.5, "complaint": -1.5, "refund": -0.6,
    "damaged": -1.6, "stale": -1.3, "bland": -1.3, "noisy": -1.1, "ignored": -1.7,
    "unprofessional": -2.0, "scam": -2.6, "nightmare": -2.6, "avoid": -1.5, "sad": -2.1,
    "unfortunately": -1.4, "sorry": -0.3, "delay": -1.2, "delayed": -1.3, "mediocre": -1.2,
    "overcharged": -2.0, "leaked": -1.3, "spilled": -1.2, "stuck": -1.3, "wait": -0.4,
    "waiting": -0.6, "cancelled": -1.0, "canceled": -1.0, "nobody": -0.8, "unclear": -1.0,
}  # fmt: skip
EN_VALENCE: dict[str, float] = {stem_en(k): v for k, v in _EN_VALENCE_RAW.items()}
EN_NEGATIONS = frozenset(
    {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without",
     "hardly", "barely", "rarely"}
)  # fmt: skip
EN_BOOSTERS = {
    "very": 0.293, "really": 0.293, "extremely": 0.293, "so": 0.293, "super": 0.293,
    "incredibly": 0.293, "absolutely": 0.293, "totally": 0.293, "completely": 0.293,
    "too": 0.2, "highly": 0.293, "most": 0.293, "truly": 0.293,
    "slightly": -0.293, "somewhat": -0.293, "bit": -0.293, "little": -0.2, "barely": -0.293,
    "kinda": -0.293, "marginally": -0.293, "partly": -0.293,
}  # fmt: skip
NEGATION_SCALAR = -0.74
BOOST_CAPS = 0.733

KO_POSITIVE = _words(
    """좋다 최고 맛있다 친절 만족 감사 편하다 편리 빠르다 깔끔 훌륭 추천 대박 굿 괜찮다
    예쁘다 신선 든든 저렴 합리 완벽 감동 행복 좋아하다 사랑 칭찬 짱 꼼꼼 정확 쾌적
    친절하다 빨리 신속 유용 간편 만족스럽다 훌륭하다 깨끗 기쁘다 즐겁다 재밌다 멋지다
    고맙다 가성비 혜자 ㅎㅎ ㅋㅋ"""
)
KO_NEGATIVE = _words(
    """나쁘다 별로 최악 불친절 불만 불편 느리다 늦다 비싸다 실망 짜증 화 문제 오류 에러
    고장 불량 환불 취소 엉망 더럽다 지저분 차갑다 식다 싫다 아쉽다 아쉬움 답답 복잡
    어렵다 불쾌 황당 어이없다 형편없다 쓰레기 실수 누락 분실 파손 지연 끊기다 튕기다
    버그 망하다 후회 부족 불친절하다 무시 귀찮다 비추 ㅠㅠ ㅜㅜ"""
)
TH_POSITIVE = (
    "ดี", "อร่อย", "ประทับใจ", "ชอบ", "เยี่ยม", "สุดยอด", "เร็ว", "ไว", "สะดวก", "ง่าย",
    "คุ้ม", "ถูก", "สะอาด", "น่ารัก", "เป็นกันเอง", "ใส่ใจ", "ขอบคุณ", "ปลื้ม", "พอใจ",
    "ประทับ", "แนะนำ", "เลิศ", "เจ๋ง", "สวย", "สดใหม่", "สด", "รวดเร็ว", "ถูกใจ", "ยอดเยี่ยม",
    "ปัง", "คุ้มค่า", "ช่วยเหลือ", "สุภาพ", "555",
)  # fmt: skip
TH_NEGATIVE = (
    "แย่", "ช้า", "แพง", "ผิดหวัง", "ห่วย", "เสีย", "พัง", "ไม่ดี", "เย็นชืด", "สกปรก",
    "หงุดหงิด", "รำคาญ", "ยาก", "งง", "ผิด", "หาย", "เด้ง", "ค้าง", "ล่าช้า", "บุบ", "หก",
    "โกง", "ไม่พอใจ", "เสียดาย", "แย่มาก", "เบื่อ", "มั่ว", "ปัญหา", "รอนาน", "นาน", "ไม่สุภาพ",
    "หยาบคาย", "ไม่ประทับใจ", "ไม่คุ้ม", "เหม็น", "จืด", "คืนเงิน", "ยกเลิก", "หมดอายุ",
)  # fmt: skip


def lexicon_examples(language: str) -> list[tuple[str, str]]:
    """The lexicon's words as one-word training examples (text, label): a seed corpus of a few
    hundred comments cannot contain every common word of praise or complaint."""
    if language == "en":
        return [(w, "positive" if v > 0 else "negative") for w, v in _EN_VALENCE_RAW.items()]
    if language == "ko":
        positive, negative = sorted(KO_POSITIVE), sorted(KO_NEGATIVE)
    elif language == "th":
        positive, negative = list(TH_POSITIVE), list(TH_NEGATIVE)
    else:
        return []
    return [(w, "positive") for w in positive] + [(w, "negative") for w in negative]


def lexicon_counts(marked_tokens: Sequence[str], language: str) -> tuple[float, float]:
    """(positive, negative) lexicon words among negation-marked tokens (NOT_x flips x)."""
    positive = negative = 0.0
    for token in marked_tokens:
        negated = token.startswith("NOT_")
        word = token[4:] if negated else token
        polarity = _polarity(word, language)
        if negated:
            polarity = -polarity
        if polarity > 0:
            positive += 1
        elif polarity < 0:
            negative += 1
    return positive, negative


def _polarity(word: str, language: str) -> int:
    if language == "ko":
        return 1 if word in KO_POSITIVE else -1 if word in KO_NEGATIVE else 0
    if language == "th":
        # newmm keeps compounds (ดีมาก, ส่งช้า): a lexicon word at either end counts.
        if word.startswith(TH_NEGATIVE) or word.endswith(TH_NEGATIVE):
            return -1
        if word.startswith(TH_POSITIVE) or word.endswith(TH_POSITIVE):
            return 1
        return 0
    value = EN_VALENCE.get(word, 0.0)
    return 1 if value > 0 else -1 if value < 0 else 0


# --- the VADER-style English scorer -----------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z']+|[!?]")


def vader_like(text: str) -> tuple[str, float]:
    """(label, compound) for English text: positive >= 0.05, negative <= -0.05, else neutral."""
    raw = _TOKEN.findall(text)
    words = [w for w in raw if w not in {"!", "?"}]
    lowered = [w.lower().replace("n't", " not").split()[-1] if "n't" in w.lower() else w.lower()
               for w in words]  # fmt: skip
    shouting = any(w.isupper() and len(w) > 1 for w in words) and not all(
        w.isupper() for w in words if len(w) > 1
    )
    sentiments: list[float] = []
    for i, word in enumerate(lowered):
        valence = EN_VALENCE.get(stem_en(word), 0.0)
        if word in {"like"} and i > 0 and lowered[i - 1] in {"would", "feel", "looks", "look"}:
            valence = 0.0
        if valence == 0.0:
            sentiments.append(0.0)
            continue
        if shouting and words[i].isupper():
            valence += BOOST_CAPS if valence > 0 else -BOOST_CAPS
        for distance in (1, 2, 3):
            j = i - distance
            if j < 0:
                break
            boost = EN_BOOSTERS.get(lowered[j], 0.0)
            if boost:
                scaled = boost * (1.0 if distance == 1 else 0.95 if distance == 2 else 0.9)
                valence += scaled if valence > 0 else -scaled
            if lowered[j] in EN_NEGATIONS or lowered[j].endswith("n't"):
                valence *= NEGATION_SCALAR
        sentiments.append(valence)
    if "but" in lowered:
        at = lowered.index("but")
        sentiments = [
            s * 0.5 if k < at else s * 1.5 if k > at else s for k, s in enumerate(sentiments)
        ]
    total = sum(sentiments)
    if total:
        emphasis = min(4, text.count("!")) * 0.292
        total += emphasis if total > 0 else -emphasis
    compound = total / math.sqrt(total * total + 15) if total else 0.0
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return label, round(compound, 4)


def normalized_words(text: str) -> list[str]:
    """Lower-cased words (for callers that want the scorer's view of a text)."""
    return _TOKEN.findall(normalize(text))

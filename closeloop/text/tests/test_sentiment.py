"""Sentiment of clear cases in each language from the starting models (seed corpus + lexicon),
negation and mixed comments included; and the English lexicon baseline."""

from __future__ import annotations

import pytest

from closeloop.text import engine
from closeloop.text.lexicon import vader_like

CASES = [
    ("Absolutely love it, the staff were wonderful", "positive"),
    ("Terrible service, I'm never coming back", "negative"),
    ("Not good at all", "negative"),
    ("Great coffee but the delivery was awfully slow", "mixed"),
    ("How do I download my invoices?", "neutral"),
    ("정말 맛있어요 최고!", "positive"),
    ("최악이에요 다시는 안 시킬게요", "negative"),
    ("안 좋아요", "negative"),
    ("맛은 좋은데 배송이 너무 느려요", "mixed"),
    ("อร่อยมาก ประทับใจค่ะ", "positive"),
    ("แย่มาก ผิดหวังสุดๆ", "negative"),
    ("ไม่อร่อยเลย", "negative"),
    ("อร่อยแต่ส่งช้ามาก", "mixed"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_clear_comments_get_their_sentiment(text: str, label: str) -> None:
    (result,) = engine.enrich([text], [""])
    assert result.sentiment == label
    assert -1 <= (result.sentiment_score or 0) <= 1
    if label == "positive":
        assert (result.sentiment_score or 0) > 0.3
    if label == "negative":
        assert (result.sentiment_score or 0) < -0.3


def test_the_lexicon_baseline_handles_negation_intensifiers_and_but() -> None:
    assert vader_like("The coffee is good")[0] == "positive"
    assert vader_like("The coffee is not good")[0] == "negative"
    assert vader_like("The coffee is very good")[1] > vader_like("The coffee is good")[1]
    assert vader_like("Nice staff but the food was terrible")[0] == "negative"
    assert vader_like("Where is my order?")[0] == "neutral"


def test_nothing_of_the_evaluation_set_is_trained_on() -> None:
    import json
    from pathlib import Path

    from closeloop.text.lexicon import lexicon_examples
    from closeloop.text.sentiment import load_seed
    from closeloop.text.services import default_theme_specs
    from closeloop.text.tokens import normalize

    folder = Path(__file__).resolve().parents[1] / "evaluation"
    for language in ("en", "ko", "th"):
        path = folder / f"comments_{language}.jsonl"
        if not path.exists():
            continue
        held_out = {normalize(json.loads(line)["text"]).strip() for line in path.open()}
        trained = [t for t, _l in load_seed(language) + lexicon_examples(language)]
        for spec in default_theme_specs():
            trained += spec["examples"].get(language, []) + spec["keywords"].get(language, [])
        assert held_out.isdisjoint(normalize(t).strip() for t in trained)

"""Tokens per language: Korean morphemes in dictionary form, Thai words from newmm, English
words lower-cased and lightly stemmed; nothing is downloaded to get them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from closeloop.text.tokens import content_tokens, joined, tokenize


def test_korean_keeps_content_morphemes_in_dictionary_form_and_negation() -> None:
    tokens = tokenize("배송이 너무 늦게 왔어요. 직원분들이 친절하지 않았어요 ㅠㅠ", "ko")
    assert tokens[:4] == ["배송", "너무", "늦다", "오다"]
    assert "친절" in tokens and "않다" in tokens  # negation stays
    assert "ㅠㅠ" in tokens
    assert "이" not in tokens and "요" not in tokens  # particles and endings go
    assert tokenize("결제가 안 돼요", "ko") == ["결제", "안", "되다"]


def test_thai_is_split_into_words_with_the_bundled_dictionary() -> None:
    assert tokenize("ส่งช้ามากกกก ไม่ประทับใจเลย", "th") == [
        "ส่ง", "ช้า", "มาก", "ไม่", "ประทับใจ", "เลย",
    ]  # fmt: skip
    assert "กาแฟ" in tokenize("กาแฟอร่อยมากค่ะ", "th")


def test_english_words_are_lower_cased_stemmed_and_contractions_opened() -> None:
    assert tokenize("The deliveries ARRIVED late, I didn't like it!!", "en") == [
        "the", "delivery", "arriv", "late", "i", "did", "not", "like", "it",
    ]  # fmt: skip
    assert tokenize("shipping", "en") == tokenize("shipped", "en") == ["ship"]
    assert tokenize("settings", "en") == ["setting"]


def test_chinese_and_japanese_get_character_bigrams() -> None:
    assert tokenize("送货太慢", "zh") == ["送货", "货太", "太慢"]


def test_stored_tokens_allow_phrase_search_and_stopwords_are_only_for_analysis() -> None:
    tokens = tokenize("Not good at all", "en")
    assert joined(tokens) == " not good at all "
    assert content_tokens(tokens, "en") == ["not", "good"]


def test_thai_tokenizing_works_offline_and_writes_no_data_folder(tmp_path: Path) -> None:
    # A fresh interpreter where every network connection fails and HOME is empty: pythainlp
    # must neither download nor create its data folder.
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network is not allowed')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from closeloop.text.tokens import tokenize\n"
        "print(tokenize('ไรเดอร์มาส่งไวมาก', 'th'))\n"
        "print(tokenize('배송이 빨라요', 'ko'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")} | {
        "HOME": str(tmp_path)
    }
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ไรเดอร์" in done.stdout and "배송" in done.stdout
    assert list(tmp_path.iterdir()) == []

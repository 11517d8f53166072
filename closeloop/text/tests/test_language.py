"""Which language a comment is in: the script first, lingua for Latin text, the respondent's
language for texts too short to tell."""

from __future__ import annotations

import pytest

from closeloop.text.language import detect


@pytest.mark.parametrize(
    ("text", "hint", "language", "script"),
    [
        ("배송이 너무 늦게 왔어요", "", "ko", "hangul"),
        ("ส่งช้ามาก ไม่ประทับใจเลย", "", "th", "thai"),
        ("The coffee was great but the delivery was slow", "", "en", "latin"),
        ("配達がとても遅かったです", "", "ja", "kana"),
        ("送货太慢了，咖啡也凉了", "", "zh", "han"),  # noqa: RUF001
        ("El café estaba frío y el servicio fue muy lento", "en", "es", "latin"),
        ("Доставка была очень медленной", "", "ru", "cyrillic"),
        # Mixed scripts: a Korean sentence with English words is Korean, and the other way round
        # an English sentence with one Korean word is English.
        ("앱 UI가 너무 불편해요 login도 자꾸 실패", "", "ko", "hangul"),
        ("Ordered the 아메리카노 and it was great, thanks a lot", "", "en", "latin"),
        ("กาแฟ latte อร่อยมากค่ะ", "", "th", "thai"),
    ],
)
def test_the_script_and_the_detector_name_the_language(
    text: str, hint: str, language: str, script: str
) -> None:
    found = detect(text, hint)
    assert (found.language, found.script) == (language, script)


def test_short_latin_texts_keep_the_respondents_language() -> None:
    assert detect("Muy bien", "es").language == "es"
    assert detect("ok", "fr").language == "fr"
    # A short Latin answer in a Korean survey is most likely English, not Korean.
    assert detect("good", "ko").language == "en"


def test_texts_without_letters_take_the_hint() -> None:
    assert detect("👍👍 10/10", "th").language == "th"
    assert detect("!!!", "").language == ""

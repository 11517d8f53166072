"""Demo customer journey for Seoul Bean Roasters: the default touchpoints, a survey listening at
most of them (email after a purchase, a QR code on the parcel, an event after a support call, the
website widget, an email at renewal, a link in the onboarding mail) and deliberately nobody at
"cancellation", so the journey page shows its warning. Answers from the last weeks give each
listened-to touchpoint a response count and a score.

Keyed by survey name and (touchpoint, survey, channel), so running the demo again duplicates
nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.journey_services import listening_post_add, touchpoints_ensure_defaults
from closeloop.distribution.models import ListeningPost, Touchpoint
from closeloop.responses.choices import Channel
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish


def _t(en: str, ko: str) -> dict[str, str]:
    return {"en": en, "ko": ko}


def _definition(qtype: str, title: dict[str, str], question: dict[str, str]) -> dict[str, Any]:
    metric: dict[str, Any] = {"key": "score", "type": qtype, "title": question, "required": True}
    if qtype == "csat":
        metric["points"] = 5
    return {
        "default_language": "en",
        "languages": ["en", "ko"],
        "title": title,
        "pages": [
            {
                "key": "p1",
                "questions": [
                    metric,
                    {
                        "key": "comment",
                        "type": "long_text",
                        "title": _t("What is the main reason?", "가장 큰 이유는 무엇인가요?"),
                    },
                ],
            }
        ],
        "endings": [
            {
                "key": "thanks",
                "title": _t("Thank you!", "감사합니다!"),
                "message": _t("We read every answer.", "모든 의견을 읽습니다."),
            }
        ],
    }


# survey name -> (question type, title, question)
SURVEYS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "After purchase (NPS)": (
        "nps",
        _t("Your order", "주문하신 상품"),
        _t(
            "How likely are you to recommend Seoul Bean Roasters?",
            "서울빈로스터스를 추천하시겠어요?",
        ),
    ),
    "Parcel delivery (CSAT)": (
        "csat",
        _t("Your delivery", "배송"),
        _t("How satisfied are you with the delivery?", "배송에 얼마나 만족하시나요?"),
    ),
    "Support call (CES)": (
        "ces",
        _t("Your call with us", "상담 전화"),
        _t("We made it easy to solve my problem.", "문제를 쉽게 해결할 수 있었습니다."),
    ),
    "Website feedback (CSAT)": (
        "csat",
        _t("Our website", "웹사이트"),
        _t("How satisfied are you with our website today?", "오늘 웹사이트에 만족하시나요?"),
    ),
    "Onboarding check-in (CSAT)": (
        "csat",
        _t("Your first subscription box", "첫 구독 박스"),
        _t("How satisfied are you with your first box?", "첫 박스에 얼마나 만족하시나요?"),
    ),
}

# touchpoint key -> [(survey name, channel)]; "cancellation" is left without a listening post.
POSTS: dict[str, list[tuple[str, str]]] = {
    "website-visit": [("Website feedback (CSAT)", ListeningChannel.WIDGET)],
    "purchase": [("After purchase (NPS)", ListeningChannel.EMAIL)],
    "delivery": [
        ("Parcel delivery (CSAT)", ListeningChannel.QR),
        ("Parcel delivery (CSAT)", ListeningChannel.LINK),
    ],
    "onboarding": [("Onboarding check-in (CSAT)", ListeningChannel.LINK)],
    "support-call": [("Support call (CES)", ListeningChannel.EVENT)],
    "renewal": [("After purchase (NPS)", ListeningChannel.EMAIL)],
}

# touchpoint key -> (survey name, response channel, scores to draw from, how many)
ANSWERS: dict[str, tuple[str, str, list[int], int]] = {
    "website-visit": ("Website feedback (CSAT)", Channel.WIDGET, [5, 4, 4, 3, 2, 5], 14),
    "purchase": ("After purchase (NPS)", Channel.EMAIL, [10, 9, 9, 8, 7, 10, 6, 3], 24),
    "delivery": ("Parcel delivery (CSAT)", Channel.QR, [5, 5, 4, 2, 1, 4, 3], 18),
    "support-call": ("Support call (CES)", Channel.EMAIL, [7, 6, 5, 3, 2, 6], 12),
    "renewal": ("After purchase (NPS)", Channel.EMAIL, [9, 10, 7, 6, 8], 9),
}

COMMENTS = [
    _t("The beans were fresh and the roast perfect.", "원두가 신선하고 로스팅이 완벽했어요."),
    _t("Delivery took longer than promised.", "배송이 약속보다 오래 걸렸어요."),
    _t("The box arrived dented.", "상자가 찌그러져서 왔어요."),
    _t("Friendly staff on the phone.", "전화 상담 직원이 친절했어요."),
    _t("Checkout kept asking for my address again.", "결제할 때 주소를 계속 다시 물어봤어요."),
]


def _survey(org: Organization, name: str) -> Survey:
    existing = Survey.objects.filter(organization=org, name=name).first()
    if existing is not None:
        return existing
    qtype, title, question = SURVEYS[name]
    survey = survey_create(
        organization=org, actor=None, name=name, definition=_definition(qtype, title, question)
    )
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def seed_journey(org: Organization) -> None:
    """The default touchpoints, listening posts at all but "cancellation", and answers there."""
    touchpoints_ensure_defaults(organization=org)
    touchpoints = {t.key: t for t in Touchpoint.objects.filter(organization=org)}
    surveys = {name: _survey(org, name) for name in SURVEYS}
    for key, posts in POSTS.items():
        touchpoint = touchpoints.get(key)
        if touchpoint is None:
            continue
        for name, channel in posts:
            survey = surveys[name]
            if not ListeningPost.objects.filter(
                touchpoint=touchpoint, survey=survey, channel=channel
            ).exists():
                listening_post_add(touchpoint=touchpoint, survey=survey, channel=channel)
    rng = random.Random(4)
    now = timezone.now()
    for key, (name, channel, scores, count) in ANSWERS.items():
        touchpoint = touchpoints.get(key)
        if touchpoint is None:
            continue
        if Response.objects.filter(organization=org, touchpoint_id=touchpoint.pk).exists():
            continue
        for i in range(count):
            score = rng.choice(scores)
            answers: dict[str, Any] = {"score": score}
            language = rng.choice(["en", "ko", "ko"])
            if i % 3 == 0:
                answers["comment"] = rng.choice(COMMENTS)[language]
            response = response_create_complete(
                survey=surveys[name],
                answers=answers,
                channel=channel,
                language=language,
                completed_at=now - dt.timedelta(days=rng.uniform(0.2, 80)),
                idempotency_key=f"demo-journey-{key}-{i}",
            )
            Response.objects.filter(pk=response.pk).update(touchpoint_id=touchpoint.pk)


def seed_demo_journey() -> None:
    """The journey step of the demo: Seoul Bean Roasters only."""
    from closeloop.demo.seed import SEOUL_SLUG

    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is not None:
        seed_journey(org)

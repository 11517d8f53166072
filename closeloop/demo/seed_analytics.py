"""Demo data for analytics: a customer-experience survey in each demo organization (Korean for
Seoul Bean Roasters, Thai for Bangkok Noodle Bar) with about 400 historical responses over the
last twelve months, answered in a realistic driver structure, so the key-drivers page has
something real to explain.

Seoul: delivery speed matters most for NPS and scores lowest (fix it first); taste matters and
scores well (keep it up); most answers come from known customers, so their plan,
newsletter and lifetime value show up as attribute drivers. Bangkok: the app is the weak spot.

Keyed by survey name: once the survey has responses, running the demo again adds nothing.
The answers are validated by the responses service (`validate_all_answers`) and stored as
historical responses (no events, no follow-up) with their answer facts, in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact
from closeloop.distribution.models import Touchpoint
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.models import AnswerFact, Response
from closeloop.responses.selectors import definition_of
from closeloop.responses.services import _facts, validate_all_answers
from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.models import Survey
from closeloop.surveys.schema import ENDING_PREFIX
from closeloop.surveys.services import survey_create, survey_publish

RESPONSES = 400
DAYS = 365


def _t(local: str, en: str, lang: str) -> dict[str, str]:
    return {lang: local, "en": en}


@dataclass(frozen=True)
class DemoSurvey:
    """One organization's driver survey: texts in its language and how answers are drawn."""

    slug: str
    language: str
    name: str
    brand: str
    texts: dict[str, tuple[str, str]]  # key -> (local text, English)
    comments: list[tuple[str, str]]  # (local, English)
    # Mean rating (1-5) of each driver and its effect on the 0-10 score per rating point.
    means: dict[str, float]
    effects: dict[str, float]
    link_contacts: bool


SEOUL = DemoSurvey(
    slug="demo",
    language="ko",
    name="고객 경험 설문 (Customer experience)",
    brand="서울빈로스터스",
    texts={
        "title": ("고객 경험 설문", "Customer experience survey"),
        "nps": (
            "서울빈로스터스를 친구에게 추천하실 가능성은 얼마나 되나요?",
            "How likely are you to recommend Seoul Bean Roasters to a friend?",
        ),
        "low": ("전혀 아님", "Not at all likely"),
        "high": ("매우 그렇다", "Extremely likely"),
        "ratings": ("다음 항목을 평가해 주세요.", "Please rate the following."),
        "taste": ("커피 맛", "Taste of the coffee"),
        "price": ("가격", "Price"),
        "speed": ("배송 속도", "Delivery speed"),
        "staff": ("직원 친절도", "Friendliness of the staff"),
        "app": ("앱 사용 편의성", "Ease of using the app"),
        "ordered": ("주로 어떻게 주문하시나요?", "How do you usually order?"),
        "app_choice": ("앱", "App"),
        "web_choice": ("웹사이트", "Website"),
        "store_choice": ("매장", "In the café"),
        "support": (
            "지난 한 달 동안 고객센터에 문의하신 적이 있나요?",
            "Did you contact customer support in the last month?",
        ),
        "yes": ("예", "Yes"),
        "no": ("아니요", "No"),
        "reason": ("그렇게 평가하신 가장 큰 이유는 무엇인가요?", "What is the main reason?"),
        "thanks": ("감사합니다!", "Thank you!"),
        "read": ("모든 의견을 읽습니다.", "We read every answer."),
    },
    comments=[
        ("배송이 너무 오래 걸렸어요.", "Delivery took far too long."),
        ("원두가 신선하고 맛있어요.", "The beans are fresh and delicious."),
        ("가격이 조금 비싸요.", "A little expensive."),
        ("앱에서 결제가 자꾸 실패해요.", "Payment keeps failing in the app."),
        ("매장 직원분들이 친절해요.", "The café staff are friendly."),
        ("주문한 지 일주일 만에 받았어요.", "It took a week for my order to arrive."),
    ],
    means={"taste": 4.4, "price": 3.2, "speed": 2.6, "staff": 4.5, "app": 3.3},
    effects={"taste": 0.75, "price": 0.45, "speed": 1.1, "staff": 0.2, "app": 0.45},
    link_contacts=True,
)

BANGKOK = DemoSurvey(
    slug="demo-bkk",
    language="th",
    name="แบบสอบถามประสบการณ์ลูกค้า (Customer experience)",
    brand="Bangkok Noodle Bar",
    texts={
        "title": ("แบบสอบถามประสบการณ์ลูกค้า", "Customer experience survey"),
        "nps": (
            "คุณมีแนวโน้มจะแนะนำ Bangkok Noodle Bar ให้เพื่อนมากน้อยเพียงใด",
            "How likely are you to recommend Bangkok Noodle Bar to a friend?",
        ),
        "low": ("ไม่แนะนำเลย", "Not at all likely"),
        "high": ("แนะนำแน่นอน", "Extremely likely"),
        "ratings": ("โปรดให้คะแนนหัวข้อต่อไปนี้", "Please rate the following."),
        "taste": ("รสชาติอาหาร", "Taste of the food"),
        "price": ("ราคา", "Price"),
        "speed": ("ความเร็วในการจัดส่ง", "Delivery speed"),
        "staff": ("ความเป็นมิตรของพนักงาน", "Friendliness of the staff"),
        "app": ("ความง่ายในการใช้แอป", "Ease of using the app"),
        "ordered": ("ปกติคุณสั่งอาหารช่องทางใด", "How do you usually order?"),
        "app_choice": ("แอป", "App"),
        "web_choice": ("เว็บไซต์", "Website"),
        "store_choice": ("ที่ร้าน", "At the restaurant"),
        "support": (
            "ในเดือนที่ผ่านมาคุณเคยติดต่อฝ่ายบริการลูกค้าหรือไม่",
            "Did you contact customer support in the last month?",
        ),
        "yes": ("เคย", "Yes"),
        "no": ("ไม่เคย", "No"),
        "reason": ("เหตุผลหลักของคะแนนนี้คืออะไร", "What is the main reason?"),
        "thanks": ("ขอบคุณค่ะ", "Thank you!"),
        "read": ("เราอ่านทุกความเห็น", "We read every answer."),
    },
    comments=[
        ("แอปใช้ยาก หาเมนูไม่เจอ", "The app is hard to use; I can't find the menu."),
        ("ก๋วยเตี๋ยวอร่อยมาก", "The noodles are delicious."),
        ("แอปค้างตอนจ่ายเงิน", "The app froze at checkout."),
        ("ราคาเหมาะสม", "Fair prices."),
        ("พนักงานยิ้มแย้มดี", "Smiling, friendly staff."),
        ("ส่งช้าไปนิดหน่อย", "Delivery was a little slow."),
    ],
    means={"taste": 4.5, "price": 3.9, "speed": 3.6, "staff": 4.3, "app": 2.5},
    effects={"taste": 0.8, "price": 0.3, "speed": 0.5, "staff": 0.25, "app": 1.0},
    link_contacts=False,
)

DRIVERS = ("taste", "price", "speed", "staff", "app")
CHANNELS = [Channel.EMAIL, Channel.LINK, Channel.QR]


def _definition(spec: DemoSurvey) -> dict[str, Any]:
    lang = spec.language

    def t(key: str) -> dict[str, str]:
        local, english = spec.texts[key]
        return _t(local, english, lang)

    ratings: list[dict[str, Any]] = [
        {"key": key, "type": "rating", "points": 5, "style": "stars", "title": t(key)}
        for key in DRIVERS
    ]
    return {
        "default_language": lang,
        "languages": [lang, "en"],
        "title": t("title"),
        "pages": [
            {
                "key": "score",
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps",
                        "required": True,
                        "title": t("nps"),
                        "low_label": t("low"),
                        "high_label": t("high"),
                    }
                ],
            },
            {"key": "ratings", "title": t("ratings"), "questions": ratings},
            {
                "key": "about",
                "questions": [
                    {
                        "key": "ordered",
                        "type": "single_choice",
                        "title": t("ordered"),
                        "choices": [
                            {"key": "app", "label": t("app_choice")},
                            {"key": "web", "label": t("web_choice")},
                            {"key": "store", "label": t("store_choice")},
                        ],
                    },
                    {
                        "key": "support",
                        "type": "single_choice",
                        "title": t("support"),
                        "choices": [
                            {"key": "yes", "label": t("yes")},
                            {"key": "no", "label": t("no")},
                        ],
                    },
                    {"key": "reason", "type": "long_text", "title": t("reason")},
                ],
            },
        ],
        "endings": [{"key": "thanks", "title": t("thanks"), "message": t("read")}],
    }


def _survey(org: Organization, spec: DemoSurvey) -> Survey:
    existing = Survey.objects.filter(organization=org, name=spec.name).first()
    if existing is not None:
        return existing
    survey = survey_create(
        organization=org, actor=None, name=spec.name, definition=_definition(spec)
    )
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def _rating(rng: random.Random, mean: float, mood: float) -> int:
    return max(1, min(5, round(rng.gauss(mean + 0.45 * mood, 0.9))))


def _answers(
    rng: random.Random, spec: DemoSurvey, plan: str | None, language: str
) -> dict[str, Any]:
    """One customer: a shared mood colours every rating; the score follows the driver effects."""
    mood = rng.gauss(0, 1)
    ratings = {key: _rating(rng, spec.means[key], mood) for key in DRIVERS}
    ordered = rng.choices(["app", "web", "store"], weights=[5, 3, 2])[0]
    support = "yes" if rng.random() < 0.25 else "no"
    score = 7.2 + sum(spec.effects[k] * (ratings[k] - spec.means[k]) for k in DRIVERS)
    score += 0.5 * mood + rng.gauss(0, 1.1)
    score -= 0.6 if support == "yes" else 0.0
    score += 0.5 if plan == "Bean Club Weekly" else 0.0
    answers: dict[str, Any] = {"nps": max(0, min(10, round(score))), "ordered": ordered}
    answers.update(ratings)
    if ordered != "app" and rng.random() < 0.3:
        del answers["app"]  # many who never use the app skip that rating
    if rng.random() < 0.9:
        answers["support"] = support
    if rng.random() < 0.2:
        local, english = rng.choice(spec.comments)
        answers["reason"] = local if language == spec.language else english
    return answers


def seed_analytics(org: Organization, spec: DemoSurvey) -> None:
    """The driver survey of one organization and its year of historical responses (once)."""
    survey = _survey(org, spec)
    if Response.objects.filter(survey=survey).exists():
        return
    version = survey.current_version
    assert version is not None
    definition = definition_of(version)
    rng = random.Random(f"drivers-{spec.slug}")
    now = timezone.now()
    contacts: list[tuple[Any, str | None]] = []
    if spec.link_contacts:
        contacts = [
            (c.pk, (c.attributes or {}).get("plan"))
            for c in Contact.objects.filter(
                organization=org, kind="customer", erased_at__isnull=True
            ).order_by("email")
        ]
    touchpoints = {t.key: t.pk for t in Touchpoint.objects.filter(organization=org)}
    responses: list[Response] = []
    for _index in range(RESPONSES):
        contact_id, plan = (
            rng.choice(contacts) if contacts and rng.random() < 0.85 else (None, None)
        )
        language = spec.language if rng.random() < 0.85 else "en"
        # Validated exactly as the responses API validates them.
        values, step = validate_all_answers(
            definition=definition, answers=_answers(rng, spec, plan, language), hidden={}
        )
        ending = SurveyRun(definition, values, {}).ending_for(step)
        when = now - dt.timedelta(days=rng.uniform(0.5, DAYS))
        responses.append(
            Response(
                organization_id=org.pk,
                survey=survey,
                version=version,
                contact_id=contact_id,
                channel=rng.choices(CHANNELS, weights=[6, 3, 1])[0],
                touchpoint_id=touchpoints.get("delivery" if rng.random() < 0.3 else "purchase"),
                language=language,
                status=ResponseStatus.COMPLETE,
                current_page=f"{ENDING_PREFIX}{ending.key}",
                answers=values,
                historical=True,
                created_at=now,
                started_at=when,
                completed_at=when,
            )
        )
    # Bulk: 800 responses one by one through response_create_complete take seconds; these are
    # historical (no events, no follow-up), so the rows and their answer facts (built by the
    # responses service's own _facts) are all that service would write.
    Response.objects.bulk_create(responses, batch_size=500)
    facts = [fact for response in responses for fact in _facts(response, definition)]
    AnswerFact.objects.bulk_create(facts, batch_size=1000)


def seed_demo_analytics() -> None:
    """The analytics step of the demo: a driver survey in Seoul (Korean) and Bangkok (Thai)."""
    for spec in (SEOUL, BANGKOK):
        org = Organization.objects.filter(slug=spec.slug).first()
        if org is not None:
            seed_analytics(org, spec)

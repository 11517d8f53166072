"""Demo contacts for Seoul Bean Roasters: customers of the café and the online shop, a few
baristas as employees, typed attributes, two segments and a finished import with rejected rows.

Keyed by email (contacts), key (attributes), name (segments) and file name (the import), so
running the demo again duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from closeloop.accounts.models import Organization
from closeloop.contacts.importers import (
    contact_import_configure,
    contact_import_create,
    contact_import_run,
)
from closeloop.contacts.models import AttributeDefinition, Contact, ContactImport, Segment
from closeloop.contacts.services import (
    attribute_definition_create,
    contact_create,
    contact_unsubscribe,
    segment_create,
)

ATTRIBUTES = [
    ("plan", "Plan", "text"),
    ("lifetime_value", "Lifetime value (₩1000)", "number"),
    ("customer_since", "Customer since", "date"),
    ("newsletter", "Newsletter", "boolean"),
    ("city", "City", "text"),
]

# (first name, last name, email local part, language, city)
KOREAN = [
    ("민지", "김", "minji.kim", "Seoul"), ("서준", "이", "seojun.lee", "Seoul"),
    ("지우", "박", "jiwoo.park", "Busan"), ("하은", "최", "haeun.choi", "Seoul"),
    ("도윤", "정", "doyoon.jung", "Incheon"), ("서연", "강", "seoyeon.kang", "Seoul"),
    ("시우", "조", "siwoo.cho", "Daegu"), ("수아", "윤", "sua.yoon", "Seoul"),
    ("예준", "장", "yejun.jang", "Suwon"), ("지아", "임", "jia.lim", "Seoul"),
    ("주원", "한", "juwon.han", "Busan"), ("채원", "오", "chaewon.oh", "Seoul"),
    ("건우", "서", "gunwoo.seo", "Daejeon"), ("다은", "신", "daeun.shin", "Seoul"),
    ("현우", "권", "hyunwoo.kwon", "Gwangju"), ("유나", "황", "yuna.hwang", "Seoul"),
    ("준서", "안", "junseo.ahn", "Seongnam"), ("소율", "송", "soyul.song", "Seoul"),
    ("민준", "류", "minjun.ryu", "Seoul"), ("예린", "홍", "yerin.hong", "Jeju"),
    ("태윤", "전", "taeyoon.jeon", "Seoul"), ("나연", "고", "nayeon.ko", "Busan"),
    ("우진", "문", "woojin.moon", "Seoul"), ("하린", "양", "harin.yang", "Ulsan"),
    ("은우", "배", "eunwoo.bae", "Seoul"),
]  # fmt: skip
THAI = [
    ("สมชาย", "ใจดี", "somchai.jaidee", "Bangkok"),
    ("ณัฐญา", "ศรีสุข", "nattaya.srisuk", "Bangkok"),
    ("ปิยะ", "วงศ์ไทย", "piya.wongthai", "Chiang Mai"),
    ("อรุณี", "แก้วมณี", "arunee.kaewmanee", "Bangkok"),
    ("ธนากร", "สุขสวัสดิ์", "thanakorn.suksawat", "Phuket"),
    ("มาลี", "ทองดี", "malee.thongdee", "Bangkok"),
    ("วีระ", "ชัยมงคล", "weera.chaimongkol", "Khon Kaen"),
    ("กัญญา", "พรหมมา", "kanya.promma", "Bangkok"),
    ("ประยุทธ", "มั่นคง", "prayut.mankong", "Chiang Mai"),
    ("สุดารัตน์", "บุญมา", "sudarat.boonma", "Bangkok"),
    ("อนุชา", "รัตนพันธ์", "anucha.rattanapan", "Pattaya"),
    ("พิมพ์ชนก", "ศรีวงศ์", "pimchanok.sriwong", "Bangkok"),
    ("กิตติ", "เพชรรัตน์", "kitti.petcharat", "Hat Yai"),
    ("จันทร์เพ็ญ", "สายทอง", "janpen.saithong", "Bangkok"),
    ("ณรงค์", "อินทร์แก้ว", "narong.inkaew", "Bangkok"),
]
ENGLISH = [
    ("Emma", "Clarke", "emma.clarke", "London"), ("Liam", "O'Brien", "liam.obrien", "Dublin"),
    ("Olivia", "Nguyen", "olivia.nguyen", "Sydney"), ("Noah", "Patel", "noah.patel", "Seoul"),
    ("Ava", "Thompson", "ava.thompson", "Toronto"), ("Lucas", "Meyer", "lucas.meyer", "Seoul"),
    ("Mia", "Johnson", "mia.johnson", "New York"), ("Ethan", "Walker", "ethan.walker", "Bangkok"),
    ("Grace", "Lee", "grace.lee", "Seoul"), ("Jack", "Wilson", "jack.wilson", "Melbourne"),
    ("Chloe", "Martin", "chloe.martin", "Busan"), ("Henry", "Davies", "henry.davies", "London"),
    ("Sophie", "Brown", "sophie.brown", "Seoul"), ("Daniel", "Kim", "daniel.kim", "Los Angeles"),
    ("Isla", "Campbell", "isla.campbell", "Edinburgh"),
]  # fmt: skip
EMPLOYEES = [
    ("지훈", "백", "jihoon.baek", "ko"), ("Sara", "Lindqvist", "sara.lindqvist", "en"),
    ("วรรณา", "ศักดิ์ดี", "wanna.sakdee", "th"), ("수빈", "노", "subin.noh", "ko"),
    ("Tom", "Becker", "tom.becker", "en"),
]  # fmt: skip
PLANS = ["Bean Club Monthly", "Bean Club Weekly", "Pay as you go", "Café regular", "Wholesale"]
DOMAINS = ["example.com", "example.net", "example.org"]
IMPORT_FILE = "cafe-loyalty-cards.csv"


def _attributes(rng: random.Random, city: str) -> dict[str, Any]:
    since = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(0, 6 * 365))
    plan = rng.choice(PLANS)
    value = (
        round(rng.lognormvariate(5.3, 0.9), 1) if plan != "Wholesale" else rng.randrange(2000, 9000)
    )
    return {
        "plan": plan,
        "lifetime_value": value,
        "customer_since": since.isoformat(),
        "newsletter": rng.random() < 0.6,
        "city": city,
    }


def _people() -> list[dict[str, Any]]:
    rng = random.Random(2024)  # the same demo every time
    people: list[dict[str, Any]] = []
    for index, (first, last, local, city) in enumerate(KOREAN):
        people.append({
            "first_name": first, "last_name": last, "language": "ko",
            "email": f"{local}@{DOMAINS[index % 3]}",
            "phone": f"+82 10-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}",
            "external_id": f"SBR-{1000 + index}", "attributes": _attributes(rng, city),
        })  # fmt: skip
    for index, (first, last, local, city) in enumerate(THAI):
        people.append({
            "first_name": first, "last_name": last, "language": "th",
            "email": f"{local}@{DOMAINS[(index + 1) % 3]}",
            "phone": f"+66 8{rng.randrange(1, 9)}-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",  # noqa: E501
            "external_id": f"SBR-{2000 + index}", "attributes": _attributes(rng, city),
        })  # fmt: skip
    for index, (first, last, local, city) in enumerate(ENGLISH):
        people.append({
            "first_name": first, "last_name": last, "language": "en",
            "email": f"{local}@{DOMAINS[(index + 2) % 3]}",
            "external_id": f"SBR-{3000 + index}", "attributes": _attributes(rng, city),
        })  # fmt: skip
    for first, last, local, language in EMPLOYEES:
        people.append({
            "kind": "employee", "first_name": first, "last_name": last, "language": language,
            "email": f"{local}@seoulbean.example.com", "attributes": {"city": "Seoul"},
        })  # fmt: skip
    return people


def _import_csv() -> bytes:
    rows = [
        "email,first_name,last_name,language,loyalty_card,stamps,city",
        "grace.lee@example.net,Grace,Lee,en,LC-501,9,Seoul",  # an existing customer: updated
        "hyejin.moon@example.net,혜진,문,ko,LC-502,4,Seoul",
        "not-an-email,Walk-in,Customer,ko,LC-503,2,Seoul",  # rejected: invalid email
        "kwang.park@example.org,광수,박,ko,LC-504,many,Busan",  # rejected: stamps not a number
        "ploy.charoen@example.com,พลอย,เจริญ,th,LC-505,7,Bangkok",
    ]
    return ("\n".join(rows) + "\n").encode()


def seed_contacts(org: Organization) -> None:
    """About 60 contacts with attributes, two segments and one finished import."""
    for key, label, type_ in ATTRIBUTES:
        if not AttributeDefinition.objects.filter(organization=org, key=key).exists():
            attribute_definition_create(
                organization=org, key=key, label=label, type=type_, actor=None
            )
    existing = set(Contact.objects.filter(organization=org).values_list("email", flat=True))
    for person in _people():
        if person["email"] not in existing:
            contact_create(organization=org, actor=None, data=person)
    for email, reason in [
        ("liam.obrien@example.com", "Too many emails"),
        ("weera.chaimongkol@example.net", ""),
    ]:
        contact = Contact.objects.filter(organization=org, email=email).first()
        if contact is not None and contact.unsubscribed_at is None:
            contact_unsubscribe(contact=contact, reason=reason, via="link")
    segments = [
        (
            "VIP customers",
            "Customers who spent more than ₩500,000 with us.",
            {
                "match": "all",
                "rules": [
                    {"field": "kind", "op": "eq", "value": "customer"},
                    {"field": "attribute.lifetime_value", "op": "gt", "value": 500},
                ],
            },
        ),
        (
            "Korean-speaking",
            "Contacts who read Korean.",
            {"match": "all", "rules": [{"field": "language", "op": "eq", "value": "ko"}]},
        ),
    ]
    for name, description, definition in segments:
        if not Segment.objects.filter(organization=org, name=name).exists():
            segment_create(
                organization=org, name=name, description=description,
                definition=definition, actor=None,
            )  # fmt: skip
    if not ContactImport.objects.filter(organization=org, file_name=IMPORT_FILE).exists():
        if not AttributeDefinition.objects.filter(organization=org, key="stamps").exists():
            attribute_definition_create(
                organization=org, key="stamps", label="Loyalty stamps", type="number", actor=None
            )
        contact_import = contact_import_create(
            organization=org, file_name=IMPORT_FILE, content=_import_csv(), created_by=None
        )
        contact_import_configure(
            contact_import=contact_import,
            mapping={0: "email", 1: "first_name", 2: "last_name", 3: "language",
                     4: "ignore", 5: "attribute:stamps", 6: "attribute:city"},
            dedupe_by="email",
            actor=None,
        )  # fmt: skip
        # Run it now rather than waiting for a worker; the queued task then finds it done.
        contact_import_run(contact_import_id=str(contact_import.pk))


def seed_demo_contacts() -> None:
    """The contacts step of the demo: Seoul Bean Roasters only."""
    from closeloop.demo.seed import SEOUL_SLUG

    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is not None:
        seed_contacts(org)

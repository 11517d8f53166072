"""The journey API: touchpoints, listening posts, the computed journey and QR codes."""

from __future__ import annotations

from closeloop.api.testing import ApiClient, make_keys
from closeloop.distribution.models import Touchpoint
from closeloop.distribution.qr import PNG_SCALE, QUIET_ZONE, qr_code
from closeloop.distribution.tests.journey_factories import answer_at, make_survey, png_modules
from closeloop.surveys.selectors import survey_public_url
from conftest import Personas


def test_touchpoint_crud(personas: Personas) -> None:
    keys = make_keys(personas.org)
    api = ApiClient(keys.write)
    listed = ApiClient(keys.read).get("/touchpoints")
    assert listed.status_code == 200
    assert [t["key"] for t in listed.json()][:2] == ["website-visit", "purchase"]

    created = api.post("/touchpoints", {"name": "Store visit", "position": 1})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["key"] == "store-visit" and body["position"] == 1
    tp_id = body["id"]
    order = [t["key"] for t in api.get("/touchpoints").json()]
    assert order[:3] == ["website-visit", "store-visit", "purchase"]

    clash = api.post("/touchpoints", {"name": "Again", "key": "store-visit"})
    assert clash.status_code == 409 and clash.json()["field"] == "key"
    bad = api.post("/touchpoints", {"name": ""})
    assert bad.status_code == 422
    assert ApiClient(keys.read).post("/touchpoints", {"name": "Read only"}).status_code == 403

    patched = api.patch(f"/touchpoints/{tp_id}", {"name": "Shop visit", "position": 0})
    assert patched.status_code == 200
    assert patched.json()["name"] == "Shop visit" and patched.json()["position"] == 0
    assert api.patch(f"/touchpoints/{tp_id}", {"key": "x"}).status_code == 422
    assert api.get(f"/touchpoints/{tp_id}").json()["key"] == "store-visit"

    assert api.delete(f"/touchpoints/{tp_id}").status_code == 204
    assert api.get(f"/touchpoints/{tp_id}").status_code == 404
    assert not Touchpoint.objects.filter(pk=tp_id).exists()


def test_journey_and_qr(personas: Personas) -> None:
    keys = make_keys(personas.org)
    api = ApiClient(keys.write)
    tps = {t["key"]: t["id"] for t in api.get("/touchpoints").json()}
    survey = make_survey(personas.org, "nps", name="Parcel")
    posted = api.post(
        f"/touchpoints/{tps['delivery']}/listening-posts",
        {"survey_id": str(survey.pk), "channel": "qr"},
    )
    assert posted.status_code == 201, posted.content
    link = f"{survey_public_url(survey)}?tp=delivery&ch=qr"
    assert posted.json()["link"] == link
    delivery = Touchpoint.objects.get(pk=tps["delivery"])
    for score in (10, 6):
        answer_at(survey, delivery, score)

    journey = ApiClient(keys.read).get("/journey")
    assert journey.status_code == 200
    body = journey.json()
    assert body["window_days"] == 90
    stops = {s["touchpoint"]["key"]: s for s in body["touchpoints"]}
    assert stops["delivery"]["channels"] == ["qr"]
    assert stops["delivery"]["responses"] == 2
    assert stops["delivery"]["score"] == {"metric": "nps", "value": 0.0, "n": 2}
    assert stops["delivery"]["listeners"][0]["link"] == link
    assert not stops["delivery"]["no_listening_post"]
    assert stops["cancellation"]["no_listening_post"] and stops["cancellation"]["score"] is None

    png = ApiClient(keys.read).get(
        f"/touchpoints/{tps['delivery']}/qr", {"survey": str(survey.pk), "format": "png"}
    )
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    expected = [[bool(c) for c in row] for row in qr_code(link).matrix]
    assert png_modules(png.content, scale=PNG_SCALE, border=QUIET_ZONE) == expected
    svg = ApiClient(keys.read).get(f"/touchpoints/{tps['delivery']}/qr")  # the QR post's survey
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    none_here = ApiClient(keys.read).get(f"/touchpoints/{tps['renewal']}/qr")
    assert none_here.status_code == 404 and none_here.json()["field"] == "survey"
    other_survey = make_survey(personas.other_org)
    foreign = ApiClient(keys.read).get(
        f"/touchpoints/{tps['delivery']}/qr", {"survey": str(other_survey.pk)}
    )
    assert foreign.status_code == 404
    bad_format = ApiClient(keys.read).get(f"/touchpoints/{tps['delivery']}/qr", {"format": "gif"})
    assert bad_format.status_code == 422

    post_id = stops["delivery"]["listeners"][0]["listening_post_id"]
    removed = api.delete(f"/touchpoints/{tps['delivery']}/listening-posts/{post_id}")
    assert removed.status_code == 204
    assert api.get("/journey").json()["touchpoints"][2]["no_listening_post"]

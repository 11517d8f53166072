"""The website widget on a business's page served from another origin, in Chromium: triggered by
a tracked event, by time on the page and by scrolling, answered by keyboard, isolated from the
page's styles, silent in the page's console, and talking to no one but closeloop."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from closeloop.contacts.models import Contact
from closeloop.distribution.choices import InvitationStatus, ListeningChannel
from closeloop.distribution.models import Invitation, Widget
from closeloop.distribution.tests.widget_factories import make_widget
from closeloop.responses.models import Response
from conftest import Personas

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bean Shop checkout</title>
<link rel="icon" href="data:,">
<style>
  button {{ background: red !important; color: yellow !important; font-size: 30px !important; }}
  * {{ font-family: serif !important; line-height: 3 !important; }}
</style>
<script>
  window.closeloop = window.closeloop || function () {{
    (closeloop.q = closeloop.q || []).push(arguments);
  }};
  {identify}
</script>
<script src="{script}" data-key="{key}" async></script>
</head><body>
<h1>Checkout</h1>
<button id="pay" type="button">Pay now</button>
<script>
  document.getElementById("pay").addEventListener("click", function () {{
    closeloop("track", "checkout_done");
  }});
</script>
<div style="height: 3000px"></div>
<p id="bottom">Footer</p>
</body></html>
"""


@dataclass
class HostSite:
    """A business's website on its own origin (a second local HTTP server)."""

    origin: str
    pages: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    site = HostSite(origin="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def clean(transactional_db: None) -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@dataclass
class Watch:
    """What the page logged and which origins it talked to."""

    problems: list[str] = field(default_factory=list)
    origins: set[str] = field(default_factory=set)


def watch(page: Any) -> Watch:
    seen = Watch()
    page.on(
        "console",
        lambda m: (
            seen.problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: seen.problems.append(f"pageerror: {e}"))

    def request(r: Any) -> None:
        parts = urlsplit(r.url)
        if parts.scheme in ("http", "https"):
            seen.origins.add(f"{parts.scheme}://{parts.netloc}")

    page.on("request", request)
    return seen


def publish_page(
    site: HostSite, live_server: Any, widget: Widget, path: str = "/checkout/", identify: str = ""
) -> str:
    site.pages[path] = HOST_PAGE.format(
        script=f"{live_server.url}/widget.js", key=widget.public_key, identify=identify
    )
    return site.origin + path


def shadow(page: Any) -> Any:
    return page.locator("closeloop-widget")


def test_popup_after_a_tracked_event_answered_by_keyboard(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any,
    artifacts: Path,
) -> None:  # fmt: skip
    widget = make_widget(
        personas.org,
        placement="popup",
        allowed_origins=[host_site.origin],
        triggers={"url_pattern": "/checkout/*", "event": "checkout_done"},
    )
    url = publish_page(
        host_site,
        live_server,
        widget,
        identify="closeloop('identify', {id: 'cust-77', email: 'visitor@example.com'});",
    )
    seen = watch(page)
    page.goto(url)
    page.wait_for_timeout(800)
    assert shadow(page).count() == 0  # nothing until the page tracks the event

    page.locator("#pay").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert dialog.get_attribute("aria-labelledby") == "cl-t"
    radios = dialog.get_by_role("radio")
    assert radios.count() == 11
    # Focus moved into the dialog, onto the first score.
    assert (
        page.evaluate(
            "document.querySelector('closeloop-widget').shadowRoot.activeElement.textContent"
        )
        == "0"
    )

    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert dialog.get_by_role("radio", name="9").get_attribute("aria-checked") == "true"
    # The page's `button { background: red !important }` does not reach the widget, and the
    # widget's styles do not reach the page.
    styles = page.evaluate(
        """() => {
          const root = document.querySelector('closeloop-widget').shadowRoot;
          const css = (el) => getComputedStyle(el);
          return {
            go: css(root.querySelector('.go')).backgroundColor,
            picked: css(root.querySelector('[aria-checked=true]')).backgroundColor,
            font: css(root.querySelector('.q')).fontFamily,
            pay: css(document.getElementById('pay')).backgroundColor,
          };
        }"""
    )
    assert styles["go"] == "rgb(15, 118, 110)"
    assert styles["picked"] == "rgb(15, 118, 110)"
    assert "system-ui" in styles["font"]
    assert styles["pay"] == "rgb(255, 0, 0)"
    page.screenshot(path=str(artifacts / "widget.png"))

    page.keyboard.press("Tab")  # to "Next" (the other scores are skipped: one tab stop)
    page.keyboard.press("Enter")
    comment = dialog.get_by_role("textbox", name="What is the main reason?")
    comment.wait_for()
    page.keyboard.type("Roasts are always fresh")
    # The focus stays trapped in the dialog: Tab goes to Send, then round to Close.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert (
        page.evaluate(
            "document.querySelector('closeloop-widget').shadowRoot.activeElement.className"
        )
        == "x"
    )
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Send

    status = dialog.get_by_role("status")
    status.get_by_text("Thanks, your answer helps us improve.").wait_for()
    page.screenshot(path=str(artifacts / "widget-thanks.png"))

    response = Response.objects.get(survey=widget.survey)
    contact = Contact.objects.get(organization=personas.org, external_id="cust-77")
    assert response.channel == "widget"
    assert response.contact_id == contact.pk
    assert response.answers == {"nps": 9, "why": "Roasts are always fresh"}
    assert response.hidden == {"page_url": url}
    invitation = Invitation.objects.get(contact=contact, channel=ListeningChannel.WIDGET)
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.response_id == response.pk

    shadow(page).wait_for(state="detached", timeout=8000)  # then it closes by itself
    assert page.evaluate("document.activeElement.id") == "pay"  # focus returns
    assert seen.problems == []
    assert seen.origins <= {host_site.origin, live_server.url}
    assert page.evaluate(
        "Object.keys(window).filter(k => k.toLowerCase().includes('closeloop'))"
    ) == ["closeloop"]


def test_slide_in_after_seconds_on_the_page(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any
) -> None:
    widget = make_widget(
        personas.org, allowed_origins=[host_site.origin], triggers={"min_seconds": 2}
    )
    seen = watch(page)
    page.goto(publish_page(host_site, live_server, widget))
    page.wait_for_timeout(1000)
    assert shadow(page).count() == 0
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=5000)
    assert dialog.get_attribute("aria-modal") is None  # a slide-in does not trap the page
    box = dialog.bounding_box()
    assert box["y"] + box["height"] > 900 - 40  # in the bottom corner
    dialog.get_by_role("radio", name="3").click()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_role("status").get_by_text("Thanks").wait_for()
    response = Response.objects.get(survey=widget.survey)
    assert response.channel == "widget" and response.contact_id is None
    assert response.answers == {"nps": 3}
    # An anonymous visitor is remembered in this browser: a reload shows nothing.
    assert page.evaluate(f"localStorage.getItem('closeloop:{widget.public_key}')")
    page.reload()
    page.wait_for_timeout(3000)
    assert shadow(page).count() == 0
    assert seen.problems == []
    assert seen.origins <= {host_site.origin, live_server.url}


def test_slide_in_after_scrolling_and_escape_dismisses(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any
) -> None:
    widget = make_widget(
        personas.org, allowed_origins=[host_site.origin], triggers={"scroll_percent": 60}
    )
    seen = watch(page)
    page.goto(
        publish_page(
            host_site, live_server, widget, identify="closeloop('identify', {id: 'cust-5'});"
        )
    )
    page.wait_for_timeout(1000)
    assert shadow(page).count() == 0
    page.locator("#bottom").scroll_into_view_if_needed()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("radio", name="7").focus()
    page.keyboard.press("Escape")
    shadow(page).wait_for(state="detached")
    contact = Contact.objects.get(external_id="cust-5")
    declined = Invitation.objects.filter(contact=contact, declined_at__isnull=False)
    for _ in range(50):
        if declined.exists():
            break
        page.wait_for_timeout(100)
    assert declined.get().status == InvitationStatus.SENT
    assert not Response.objects.exists()
    assert seen.problems == []


def test_a_page_on_an_origin_not_allowed_gets_nothing_and_logs_nothing(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any
) -> None:
    """A snippet on a site not listed, with an unknown key, or of a paused widget: the settings
    say "off", the script asks nothing more, and the host page's console stays clean."""
    widget = make_widget(personas.org, allowed_origins=["https://elsewhere.example.com"])
    paused = make_widget(personas.org, allowed_origins=[host_site.origin], is_active=False)
    seen = watch(page)
    calls: list[str] = []
    page.on("request", lambda r: calls.append(f"{r.method} {urlsplit(r.url).path}"))
    who = "closeloop('identify', {id: 'cust-1', email: 'a@example.com'}); closeloop('show');"
    page.goto(publish_page(host_site, live_server, widget, identify=who))
    page.wait_for_timeout(1500)
    assert shadow(page).count() == 0
    unknown = Widget(public_key="wk_unknown_key_000000")
    for other, path in ((unknown, "/unknown/"), (paused, "/paused/")):
        page.goto(publish_page(host_site, live_server, other, path=path, identify=who))
        page.wait_for_timeout(1000)
        assert shadow(page).count() == 0
    assert not Response.objects.exists()
    assert not Contact.objects.exists()
    assert seen.problems == []
    assert not [c for c in calls if c.startswith(("POST", "OPTIONS"))], calls


def test_show_respects_the_frequency_rules_for_an_identified_visitor(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any
) -> None:
    from closeloop.distribution.invitations import invitation_advance, invitation_create

    widget = make_widget(
        personas.org, allowed_origins=[host_site.origin], triggers={"event": "never"}
    )
    contact = Contact.objects.create(
        organization=personas.org, external_id="cust-3", email="cust3@example.com"
    )
    asked = invitation_create(
        organization=personas.org,
        survey=widget.survey,
        contact=contact,
        channel=ListeningChannel.EMAIL,
    )
    assert invitation_advance(invitation_id=asked.pk, status=InvitationStatus.SENT)
    seen = watch(page)
    page.goto(
        publish_page(
            host_site,
            live_server,
            widget,
            identify="closeloop('identify', {id: 'cust-3'}); closeloop('show');",
        )
    )
    page.wait_for_timeout(1500)
    assert shadow(page).count() == 0  # asked by email yesterday: not again
    # An anonymous visitor the host explicitly shows it to sees it, even twice in a row.
    page.goto(publish_page(host_site, live_server, widget, path="/anon/"))
    page.wait_for_timeout(500)
    page.evaluate("closeloop('show')")
    page.get_by_role("dialog").wait_for()
    assert seen.problems == []


def test_a_trigger_rules_invitation_shows_on_the_next_visit(
    clean: None, personas: Personas, host_site: HostSite, live_server: Any, page: Any
) -> None:
    from closeloop.distribution.events_services import event_ingest, trigger_rule_create
    from closeloop.distribution.tests.widget_factories import widget_survey
    from closeloop.distribution.widget_services import identity_hash

    widget = make_widget(personas.org, allowed_origins=[host_site.origin])
    delivery = widget_survey(personas.org, name="Delivery survey")
    trigger_rule_create(
        organization=personas.org,
        actor=None,
        data={
            "name": "Delivered",
            "event_type": "order_delivered",
            "channel": "widget",
            "survey": delivery,
        },
    )
    event_ingest(
        organization=personas.org,
        contact={"external_id": "cust-9", "email": "jin@example.com"},
        event_type="order_delivered",
    )
    user_hash = identity_hash(widget=widget, identifier="cust-9")
    seen = watch(page)
    page.goto(
        publish_page(
            host_site,
            live_server,
            widget,
            identify=f"closeloop('identify', {{id: 'cust-9', user_hash: '{user_hash}'}});",
        )
    )
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("radio", name="8").click()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_role("status").get_by_text("Thanks").wait_for()
    response = Response.objects.get()
    assert response.survey == delivery and response.answers == {"nps": 8}
    invitation = Invitation.objects.get(survey=delivery)
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.response_id == response.pk
    assert Invitation.objects.count() == 1
    assert seen.problems == []


def test_staff_preview_shows_the_demo_survey_with_its_logic(
    clean: None, personas: Personas, live_server: Any, page: Any, artifacts: Path
) -> None:
    """The widgets page's "Try it": the real script on this app's own origin, the demo's
    "Website feedback" survey (stars, a choice, a drop-down, a page shown only on "No")."""
    from closeloop.accounts.tests.factories import PASSWORD
    from closeloop.demo.widgets import seed_widgets

    widget = seed_widgets(personas.org)
    seen = watch(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", personas.analyst.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/o/{personas.org.slug}/widgets/")
    page.get_by_test_id("try-widget").click()
    page.get_by_role("button", name="Show the survey now").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("radio", name="2 / 5").click()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("radio", name="No").check()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("radio", name="To buy something").check()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("textbox").fill("Opening hours of the Gangnam shop")
    page.screenshot(path=str(artifacts / "widget-preview.png"))
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("textbox").fill("kim@example.com")
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_role("status").get_by_text("Your feedback helps us improve").wait_for()
    response = Response.objects.get(survey=widget.survey)
    assert response.channel == "widget"
    assert response.touchpoint_id == widget.touchpoint_id
    assert response.answers["q2"] == {"choice": "no", "other": None}
    assert response.answers["q4"] == "Opening hours of the Gangnam shop"
    assert response.answers["q5"] == "kim@example.com"
    assert seen.problems == []
    assert seen.origins == {live_server.url}

"""Importing reviews, tickets and chats from a CSV: good rows become comments enriched in the
background, bad rows are reported with their line number, the same file twice adds nothing."""

from __future__ import annotations

import pytest

from closeloop.contacts.services import contact_create
from closeloop.core.errors import DomainError
from closeloop.core.worker import run_ready_tasks
from closeloop.text.importing import comment_import
from closeloop.text.models import Comment
from closeloop.text.tests.factories import theme_keys
from conftest import Personas

FILE = (
    "Comment,Score,Language,Source,Date,Email,Review ID\n"
    "Courier was late and the box was crushed,2,en,review,2026-03-01,jo@example.com,g-1\n"
    "배송이 빨라서 좋았어요,10,,review,2026-03-02T09:30:00,,g-2\n"
    ",5,en,review,2026-03-02,,g-3\n"
    "Great staff,11,en,review,,,g-4\n"
    '"Two lines,\n in one cell",7,en,chat,,,c-1\n'
    "Billing page is confusing,4,english,ticket,,,t-1\n"
    "Refund still missing,3,en,fax,,,t-2\n"
    "Slow app,5,en,ticket,yesterday,,t-3\n"
    "Wrong email,5,en,ticket,,not-an-email,t-4\n"
    "Courier was late and the box was crushed,2,en,review,2026-03-01,,g-1\n"
    "ส่งช้ามาก,1,,,,stranger@example.com,\n"
)


@pytest.mark.django_db(transaction=True)
def test_a_csv_import_reports_bad_rows_by_line_and_enriches_the_good_ones(
    personas: Personas,
) -> None:
    contact = contact_create(
        organization=personas.org, actor=None, data={"email": "jo@example.com"}
    )
    result = comment_import(organization=personas.org, data=FILE.encode(), actor=personas.admin)

    assert [(r.line, r.field) for r in result.rejected] == [
        (4, "text"), (5, "score"), (8, "language"), (9, "source"), (10, "time"), (11, "email"),
    ]  # fmt: skip
    assert "0 to 10" in result.rejected[1].reason
    assert result.duplicates == [12]
    assert [(n.line, n.field) for n in result.notes] == [(13, "email")]
    assert result.created_count == 4

    run_ready_tasks()
    late = Comment.objects.get(source_ref="g-1")
    assert late.contact_id == contact.pk and late.source == "review" and late.score == 2
    assert late.answered_at.date().isoformat() == "2026-03-01"
    assert late.language == "en" and late.sentiment == "negative"
    assert "delivery" in theme_keys(late)
    korean = Comment.objects.get(source_ref="g-2")
    assert korean.language == "ko" and korean.sentiment == "positive"
    two_lines = Comment.objects.get(source_ref="c-1")
    assert two_lines.text == "Two lines,\n in one cell" and two_lines.source == "chat"
    thai = Comment.objects.get(text="ส่งช้ามาก")
    assert thai.source == "import" and thai.contact_id is None and thai.language == "th"

    # The same file again: every referenced row is already there.
    again = comment_import(organization=personas.org, data=FILE.encode())
    assert again.duplicates == [2, 3, 6, 12] and again.created_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"score,language\n5,en\n", "column named text"),
        ("text\ncaf\u00e9\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    personas: Personas, data: bytes, message: str
) -> None:
    with pytest.raises(DomainError) as error:
        comment_import(organization=personas.org, data=data)
    assert message in error.value.message and error.value.field == "file"

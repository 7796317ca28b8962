"""The demo hook: `prof` has posted work for `eleve`'s class, with a PDF in the
store when it is reachable; a second run adds nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from ent.directory import demo
from homework import demo as homework_demo
from homework.models import Attachment, Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context, _created = demo.write_directory()
    context.log = lambda message: None
    return context


def test_demo_with_the_store(ctx, s3):
    ctx.s3_available = True
    homework_demo.seed(ctx)
    homework_demo.seed(ctx)
    entries = Entry.objects.filter(author=ctx.users["prof"], school_class=ctx.classes["6e A"])
    assert entries.count() == 5
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert list(s3.list_keys("homework/")) == [attachment.key]
    client = Client()
    client.force_login(ctx.users["eleve"])
    page = client.get(reverse("homework:week")).content.decode()
    assert homework_demo.MARK in page and "fiche-fractions.pdf" in page


def test_demo_without_the_store(ctx):
    logged = []
    ctx.log = logged.append
    ctx.s3_available = False
    homework_demo.seed(ctx)
    assert Entry.objects.count() == 5 and not Attachment.objects.exists()
    assert any("unreachable" in line for line in logged)

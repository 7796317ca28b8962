"""The API in the load benchmark (bench/): the pupil's week and a parent's
conversation list read through /api/v1/ with a personal token (as a phone app
calls them), to compare with the pages of the same run (pupil_homework_week,
parent_conversations: the same users, the same data). Issue #23 asks the API
for at least the pages' figures."""

from django.urls import reverse

from bench.pages.homework import grow_week
from bench.pages.messaging import grow_inbox


def bench_seed(ctx):
    """Nothing of its own: the API reads what the apps' hooks seeded."""


def _week(user, ctx):
    return [("GET", reverse("api-v1:week"), "")]


def _conversations(user, ctx):
    return [("GET", reverse("api-v1:conversations"), "")]


def bench_pages(Page):
    # An app polls less than a person clicks (it has the WebSocket and pushes):
    # a lighter share of the mix than the pages it mirrors.
    return [
        Page("api_homework_week", "pupil", 1, _week, grow_week, auth="bearer"),
        Page("api_conversations", "parent", 1, _conversations, grow_inbox, auth="bearer"),
    ]

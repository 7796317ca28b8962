"""The pages the load benchmark drives, each with how to call it for a user and
how to grow that user's data (to compare query counts with 1 and 500 rows).

A page whose app is not installed yet (URL name missing) is reported as
missing rather than failing the run.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass
class Page:
    name: str
    role: str  # which bench users call it: parent, pupil, teacher, vie_scolaire
    weight: int  # share of the mixed workload
    requests: Callable  # (user, ctx) -> list of (method, path, body)
    grow: Callable | None = None  # (user, ctx, n) -> None: add n rows this page shows
    # How its requests sign in: the session cookie (pages) or a personal token
    # in an Authorization header (the API, as an app calls it).
    auth: str = "session"  # or "bearer"


def _get(name, **kwargs):
    def build(user, ctx):
        return [("GET", reverse(name, kwargs=kwargs or None), "")]

    return build


def _grow_children(user, ctx, n):
    from ent.directory.models import Enrollment, Guardianship, User

    klass = ctx.classes[0]
    kids = User.objects.bulk_create([User(username=f"grow_{user.id}_{i}") for i in range(n)])
    Enrollment.objects.bulk_create([Enrollment(pupil=k, school_class=klass) for k in kids])
    Guardianship.objects.bulk_create([Guardianship(guardian=user, pupil=k) for k in kids])


def all_pages():
    pages = [
        Page("parent_home", "parent", 3, _get("home"), _grow_children),
    ]
    # Each feature app's pages come from bench/pages/<app>.py: `bench_pages()`.
    for module in app_hooks():
        if hasattr(module, "bench_pages"):
            pages.extend(module.bench_pages(Page))
    return pages


# The feature apps with benchmark hooks (bench/pages/<app>.py), in seeding order.
HOOKED_APPS = ("homework", "absences", "messaging", "timetable", "api")


def app_hooks():
    """The bench/pages/<app>.py modules: `bench_seed(ctx)`, `bench_pages(Page)`,
    optionally `bench_prepare(ctx)`. Imported on demand: each imports its app's
    models, which need django.setup() first."""
    import importlib

    return [importlib.import_module(f"bench.pages.{app}") for app in HOOKED_APPS]


def available(page, user, ctx):
    try:
        return bool(page.requests(user, ctx))
    except NoReverseMatch:
        return False

"""Runs inside Django (bench settings): sessions for bench users, the request
files wrk replays, and each page's query count with small and large data."""

import json
import secrets
import sys
from pathlib import Path

import django

# The mixed file holds each page's weight x users x this many requests: long enough
# that pages with one request per visit (posts) are not replayed within a run.
MIX_REPEAT = 10


def session_cookie(user):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from ent.directory.auth_backends import DEFAULT_BACKEND

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = DEFAULT_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["ent_mfa_ok"] = True  # bench staff are not measured on the MFA step
    store.create()
    csrf = secrets.token_hex(16)  # 32 characters: Django takes it as an unmasked secret
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; csrftoken={csrf}"


def bearer_token(user):
    """A personal API token of the user, as the third field of a request line:
    mixed.lua and perkind.py send a field starting with "Bearer " as the
    Authorization header instead of a Cookie."""
    from ent.api.actions import do_create_token

    _token, secret = do_create_token(user, "bench")
    return f"Bearer {secret}"


def users_for(role, ctx, limit):
    from ent.directory.models import User

    if role == "parent":
        ids = [g for gs in ctx.guardians_by_pupil.values() for g in gs]
    elif role == "pupil":
        ids = [p for ps in ctx.pupils_by_class.values() for p in ps]
    elif role == "teacher":
        ids = [t for ts in ctx.teachers_by_class.values() for t in ts]
    elif role == "vie_scolaire":
        ids = [s["vie_scolaire"] for s in ctx.staff_by_school.values()]
    else:
        raise ValueError(role)
    ids = list(dict.fromkeys(ids))[:limit]
    return list(User.objects.filter(id__in=ids).order_by("id"))


def query_counts(page, user, ctx, rows=500):
    """Queries of the page for this user with its data as is, then with `rows`
    more rows; the extra rows are rolled back. Counted with the page cache off:
    a hit would count nothing of the page itself."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session["ent_mfa_ok"] = True
    session.save()
    method, path, body = page.requests(user, ctx)[0]
    if method != "GET" or page.grow is None:
        return None, None
    headers = {"HTTP_AUTHORIZATION": bearer_token(user)} if page.auth == "bearer" else {}

    def count():
        # Warm caches (roles, translations) like a real session; twice: an API
        # token's first use is noted on its row, which the next request reads again.
        client.get(path, **headers)
        client.get(path, **headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, **headers)
        assert response.status_code == 200, (page.name, response.status_code)
        return len(captured)

    with override_settings(PAGE_CACHE_SECONDS=0), transaction.atomic():
        small = count()
        page.grow(user, ctx, rows)
        user.__dict__.pop("roles", None)
        large = count()
        transaction.set_rollback(True)
    return small, large


def page_weight(page, user, ctx):
    """What a first visit of the page transfers, gzip-compressed as nginx sends it:
    the HTML plus the stylesheets and scripts it links (served by us, no CDN)."""
    import gzip
    import re

    from django.contrib.staticfiles import finders
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session["ent_mfa_ok"] = True
    session.save()
    path = page.requests(user, ctx)[0][1]
    headers = {"HTTP_AUTHORIZATION": bearer_token(user)} if page.auth == "bearer" else {}
    response = client.get(path, **headers)  # POST pages: the form page they post from
    assert response.status_code == 200, (page.name, response.status_code)
    html = response.content
    total = len(gzip.compress(html, 6))
    assets = re.findall(rb'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="/static/([^"?]+)', html)
    for asset in dict.fromkeys(assets):
        name = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", asset.decode())  # manifest hash
        found = finders.find(name)
        if found:
            with open(found, "rb") as f:
                total += len(gzip.compress(f.read(), 6))
    return {"weight_kb": round(total / 1024, 1), "html_kb": round(len(html) / 1024, 1), "assets": len(assets)}


def reset():
    """Undo what an earlier run posted (`bench_prepare` of each app), so that each
    measured run's posts are accepted like the first ones, not refused as
    duplicates (a refused notice re-renders its form: another cost)."""
    django.setup()
    from bench.pages import app_hooks
    from bench.seed import load_context
    from ent.directory.models import Territory

    ctx = load_context(Territory.objects.get(slug="bench"))
    for module in app_hooks():
        if hasattr(module, "bench_prepare"):
            module.bench_prepare(ctx)
    vacuum_analyze()


def refresh_passwords():
    """The seed gives every bench account one hash of the bench password, made
    with the first hasher of its day. A dataset hashed with parameters that
    changed since (issue #25: Argon2id m = 19 MiB, t = 2 until session 11) gets
    the current hash, once: else every first login of a run would rehash and
    save its password, a cost no real morning pays twice."""
    from django.contrib.auth.hashers import identify_hasher, make_password

    from bench.seed import BENCH_PASSWORD
    from ent.directory.models import User

    hashes = User.objects.filter(username__startswith="b_").order_by().values_list("password", flat=True)
    stale = [h for h in hashes.distinct()[:5] if h and identify_hasher(h).must_update(h)]
    if stale:
        User.objects.filter(password__in=stale).update(password=make_password(BENCH_PASSWORD))


def vacuum_analyze():
    """Clear dead rows and refresh the planner's statistics, as autovacuum does
    in production. Some PostgreSQL installs run with autovacuum off (this
    machine's did): after a seed and a few runs of posts and resets, notices had
    four dead rows per live one, nothing was ever analysed, and each run came out
    slower than the one before it (315 -> 238 -> 211 req/s in three runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def main():
    if sys.argv[1:] == ["--reset"]:
        reset()
        return
    out = Path(sys.argv[1])
    users_per_role = int(sys.argv[2])
    django.setup()
    from bench.pages import all_pages, app_hooks, available
    from bench.seed import load_context
    from ent.directory.models import Territory

    # Fresh statistics: right after the bulk load the planner still believed the
    # tables empty (seq scans).
    vacuum_analyze()
    ctx = load_context(Territory.objects.get(slug="bench"))
    refresh_passwords()
    for module in app_hooks():
        if hasattr(module, "bench_prepare"):
            module.bench_prepare(ctx)
    pages = all_pages()
    report = {"pages": {}, "missing": []}
    cookies, tokens = {}, {}
    mixed = []
    for page in pages:
        users = users_for(page.role, ctx, users_per_role)
        if not users or not available(page, users[0], ctx):
            report["missing"].append(page.name)
            continue
        per_user = []
        for user in users:
            if page.auth == "bearer":
                cookie = tokens.get(user.id) or tokens.setdefault(user.id, bearer_token(user))
            else:
                cookie = cookies.get(user.id) or cookies.setdefault(user.id, session_cookie(user))
            per_user.append([f"{method}\t{path}\t{cookie}\t{body}" for method, path, body in page.requests(user, ctx)])
        # Round-robin over users (every user's first request, then every second
        # one...), so that a page with several requests per user (posts on
        # different days) keeps its weight in the mix and its requests distinct.
        rounds = max(map(len, per_user))
        lines = [reqs[i] for i in range(rounds) for reqs in per_user if i < len(reqs)]
        # A page with several requests per user (posts on different days) gives the
        # even rounds to the mix and the odd ones to its own run: a post replayed
        # in the mix would only meet "already declared".
        solo = [reqs[i] for i in range(1, rounds, 2) for reqs in per_user if i < len(reqs)] or lines
        if rounds > 1:
            lines = [reqs[i] for i in range(0, rounds, 2) for reqs in per_user if i < len(reqs)]
        (out / f"{page.name}.txt").write_text("\n".join(solo) + "\n")
        small, large = query_counts(page, users[0], ctx)
        report["pages"][page.name] = {
            "requests_file": str(out / f"{page.name}.txt"),
            "queries_small": small,
            "queries_large": large,
            "weight": page.weight,
            **page_weight(page, users[0], ctx),
        }
        share = page.weight * len(users) * MIX_REPEAT
        mixed.extend(lines[i % len(lines)] for i in range(share))
    # Interleave pages so every connection sees the mix, not long runs of one page.
    import random

    random.Random(7).shuffle(mixed)
    (out / "mixed.txt").write_text("\n".join(mixed) + "\n")
    (out / "prepare.json").write_text(json.dumps(report, indent=2))
    vacuum_analyze()  # after the query counts' own writes


if __name__ == "__main__":
    main()

"""Every route × every persona, from one table (tests/security/matrix.py)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.security.matrix import EXEMPT, EXEMPT_PREFIXES, LOGIN, MATRIX, PERSONAS


def _route_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _route_names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def _exempt(name):
    return name in EXEMPT or any(name.startswith(p) for p in EXEMPT_PREFIXES)


def test_every_route_has_an_entry():
    names = set(_route_names())
    missing = sorted(n for n in names if n not in MATRIX and not _exempt(n))
    assert not missing, f"routes without an access-matrix entry: {missing}"
    stale = sorted(n for n in MATRIX if n not in names)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_every_entry_covers_every_persona():
    for name, route in MATRIX.items():
        assert set(route.expected) == set(PERSONAS), name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_for_every_persona(name, world, client, login_as):
    route = MATRIX[name]
    url = reverse(name, kwargs=route.kwargs(world))
    people = {"anonymous": None, **world.personas()}
    wrong = []
    for persona in PERSONAS:
        client.logout()
        if people[persona] is not None:
            login_as(people[persona])
        response = getattr(client, route.method)(url, route.data(world), **route.extra)
        want = route.expected[persona]
        if want is None:
            continue
        if want == LOGIN:
            ok = response.status_code == 302 and "/accounts/login/" in response.url
        else:
            ok = response.status_code == want
        if not ok:
            wrong.append(f"{persona}: got {response.status_code}, want {want}")
    assert not wrong, f"{name} ({url}):\n" + "\n".join(wrong)


@pytest.mark.django_db
# set_language is Django's own view: a GET there just redirects.
@pytest.mark.parametrize("name", sorted(n for n, r in MATRIX.items() if r.method == "post" and n != "set_language"))
def test_state_changing_routes_refuse_get(name, world, client, login_as):
    """A POST-only route answers 405 to GET for someone who could POST to it."""
    route = MATRIX[name]
    allowed = [p for p, want in route.expected.items() if p != "anonymous" and want not in (404, 403, LOGIN)]
    assert allowed, f"{name}: no persona may post here; is the route needed?"
    login_as(world.personas()[allowed[0]])
    url = reverse(name, kwargs=route.kwargs(world))
    if resolve(url).url_name != name.split(":")[-1]:
        pytest.skip("another route answers GET at this address (an API list and its POST)")
    response = client.get(url)
    assert response.status_code == 405

"""The checks the per-app "actions bump pages" tests share
(tests/<app>/test_actions_bump_pages.py): a page put in the page cache
(ent/pagecache.py) before a write, then whether the next request is still
served from it. One copy, so that every app's test means the same thing by
"cached" and "stale"."""

import inspect


def served_from_cache(response) -> bool:
    """The marker ent.pagecache puts on a replayed page (not a header)."""
    return getattr(response, "served_from_page_cache", False)


def cache_page(client, url):
    """Put `url` in the page cache for this client's person and session; the url.
    Fails if the cache is off (the checks after it would then prove nothing)."""
    client.get(url)  # sets the CSRF cookie (pages without one are not cached)
    client.get(url)  # rendered and stored
    again = client.get(url)
    assert again.status_code == 200
    assert served_from_cache(again), "the page cache is off in this test"
    return url


def get_page(client, url, status=200):
    """GET `url` once more, expecting `status`."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def still_cached(client, url, status=200) -> bool:
    """GET `url` once more: True if it was replayed from the page cache."""
    return served_from_cache(get_page(client, url, status))


def write_actions(module, *, defined_here=False) -> set[str]:
    """The module's write actions (`do_*` functions; with defined_here, only those
    it defines, not those it imports): each app's test walks them all or lists
    why one shows on no cached page."""
    return {
        name
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("do_") and (not defined_here or fn.__module__ == module.__name__)
    }

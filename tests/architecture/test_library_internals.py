"""R9 no private internals of a library (issue #20's "done when": `grep` finds
none of the private names it lists outside the documented adapter modules).

Two checks over every Python file of the repository (the product, bench/,
scripts, and the tests, which break on a library upgrade just the same):
- the names the issue found, by text: Django's queryset and cache internals,
  a raw psycopg cursor on Django's connection, channels_redis's and asgiref's
  private parts, django-csp's private response attributes (a copy of its
  middleware names them), and `ent/compiled.py` itself;
- by import (AST): no `import`/`from` of a library module whose path has an
  `internal` part (allauth keeps its internals there) or a `_private` part, nor
  a `_private` name from a library module.

Where a public API truly cannot do the job, the code goes in ONE adapter module
per library, listed in ADAPTER_MODULES with why; that module's docstring names
the library and the exact version it was written for, and a test next to it
fails when the installed version changes. A test whose
job is to probe a library's own build (VERSION_PROBES) is the other exception.
"""

import ast
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
THIS = pathlib.Path(__file__).resolve()
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".ruff_cache"}
PROJECT_TOP = {"ent", "homework", "absences", "messaging", "media", "bench", "tests", "scripts", "docker", "manage"}

# The private names of issue #20, each with what it reached into.
PRIVATE_NAMES = {
    r"\b_iterable_class\b": "Django QuerySet internals",
    r"\._fields\b": "Django QuerySet internals (QuerySet._fields)",
    r"\b_known_related_objects\b": "Django QuerySet internals",
    r"\b_prefetch_related_lookups\b": "Django QuerySet internals",
    r"\bpsycopg\.(?:Client|Server|Raw)?Cursor\(": "a raw psycopg cursor (no Django error wrapping, no execute_wrapper)",
    r"\bconnection\.connection\b": "Django's raw DB-API connection",
    r"\b_group_key\b": "channels_redis internals",
    r"\._layers\b": "channels_redis internals",
    r"\._class\b": "Django's cache backend internals (BaseCache._class)",
    r"\bmain_event_loop\b|\bSyncToAsync\.threadlocal\b": "asgiref internals",
    r"\b_csp_\w+": "django-csp's private request/response attributes (a copy of its middleware)",
    r"\bent[./]compiled\b": "ent/compiled.py (the per-call SQL compiler)",
}
FORBIDDEN_FILES = ("ent/compiled.py", "ent/csp.py", "ent/channel_layer.py")

# module path -> why a public API cannot do it (see the docstring).
ADAPTER_MODULES: dict[str, str] = {
    "ent/directory/session_engines/__init__.py": (
        "Django's SessionStore has no public way to draw a new key without storing it at once "
        "(cycle_key -> create -> SELECT + INSERT); it sets _session_key as create() does (issue #25)"
    ),
}

# Tests whose job is to probe a library's own build, private parts included (the
# "test that fails loudly on the library version" an adapter needs): path -> what.
VERSION_PROBES = {
    "tests/media/test_store.py": "oscrypto's libcrypto detection: the venv must carry Debian's OpenSSL 3 fix",
}


def python_files():
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = pathlib.Path(dirpath, name)
            if name.endswith(".py") and path.resolve() != THIS:
                yield path


FILES = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in python_files()}


def name_offences(rel, text):
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, what in PRIVATE_NAMES.items():
            match = re.search(pattern, line)
            if match:
                found.append(f"{rel}:{number} {match.group(0)} ({what})")
    return found


def _is_private_part(part):
    return part == "internal" or (part.startswith("_") and not (part.startswith("__") and part.endswith("__")))


def _is_library(module):
    top = module.split(".")[0]
    return top not in PROJECT_TOP and top != "__future__"


def import_offences(rel, text):
    found = []
    for node in ast.walk(ast.parse(text, filename=rel)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_library(alias.name) and any(_is_private_part(p) for p in alias.name.split(".")[1:]):
                    found.append(f"{rel}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module and _is_library(node.module):
            if any(_is_private_part(p) for p in node.module.split(".")[1:]):
                found.append(f"{rel}:{node.lineno} imports from {node.module}")
            for alias in node.names:
                if _is_private_part(alias.name):
                    found.append(f"{rel}:{node.lineno} imports {alias.name} from {node.module}")
    return found


def test_no_private_names_of_libraries():
    offences = [o for rel, text in FILES.items() if rel not in ADAPTER_MODULES for o in name_offences(rel, text)]
    offences += [f"{rel} exists" for rel in FORBIDDEN_FILES if (ROOT / rel).exists() and rel not in ADAPTER_MODULES]
    assert offences == [], "use the library's public API (or one documented adapter module):\n" + "\n".join(offences)


def test_no_imports_of_library_internals():
    offences = [
        o
        for rel, text in FILES.items()
        if rel not in ADAPTER_MODULES and rel not in VERSION_PROBES
        for o in import_offences(rel, text)
    ]
    assert offences == [], "a library's internal modules change without notice:\n" + "\n".join(offences)


def test_version_probes_only_shrink():
    stale = [rel for rel in VERSION_PROBES if rel not in FILES or not import_offences(rel, FILES[rel])]
    assert stale == [], f"no longer probe a library's internals: remove them from VERSION_PROBES: {stale}"


@pytest.mark.parametrize("rel", sorted(ADAPTER_MODULES) or [pytest.param(None, marks=pytest.mark.skip("no adapter"))])
def test_adapter_modules_say_what_they_were_written_for(rel):
    doc = ast.get_docstring(ast.parse(FILES[rel])) or ""
    assert re.search(r"\b\d+\.\d+(\.\d+)?\b", doc), f"{rel}: its docstring names the library version it was written for"


# --- The checks check something -----------------------------------------------------


def test_the_name_check_sees_the_issues_names():
    source = (
        "qs._iterable_class = ValuesIterable\n"
        "fields = qs._fields\n"
        "clone._known_related_objects = {}\n"
        "clone._prefetch_related_lookups = ()\n"
        "with psycopg.Cursor(connection.connection) as cursor:\n"
        "    key = layer._group_key(group)\n"
        "for loop, layer in list(self._layers.items()):\n"
        "    self._class = SharedClient\n"
        "loop = getattr(SyncToAsync.threadlocal, 'main_event_loop', None)\n"
        "exempt = getattr(response, '_csp_exempt', False)\n"
        "from ent.compiled import CompiledQuery\n"
    )
    offences = name_offences("x.py", source)
    for pattern in PRIVATE_NAMES:
        assert any(re.search(pattern, o) for o in offences), pattern
    clean = "fields = Point._asdict()\nclass_ = 1\nqs.fields\ncsp_nonce = request.csp_nonce\nimport ent.compiler\n"
    assert name_offences("x.py", clean) == []


def test_the_import_check_sees_library_internals():
    source = (
        "from allauth.account.internal.flows.login import get_authentication_records\n"
        "import allauth.mfa.totp.internal.auth\n"
        "from django.db.models.query import _unique\n"
        "from channels_redis._core import x\n"
        "def f():\n"
        "    from allauth.mfa.totp.internal import auth\n"
    )
    offences = import_offences("x.py", source)
    assert len(offences) == 5, offences
    public = (
        "from allauth.account.adapter import DefaultAccountAdapter\n"
        "from __future__ import annotations\n"
        "from ent.pagecache import _key\n"  # the project's own: the house rules' R3
        "from . import _local\n"
        "from django.db.models import __all__\n"
    )
    assert import_offences("x.py", public) == []

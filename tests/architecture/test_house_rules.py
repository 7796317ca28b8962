"""The house rules of issue #20, read from the source (AST), for every app.

R1 views write nothing: no transaction, lock, on_commit, save/delete/create/
   update/bulk_* in a views module (writes are `do_*` actions). Dicts in views
   are merged with `|=`, not `.update()`: the check cannot tell a dict from a
   queryset, and a rule with no exception is one nobody has to argue about.
R2 views build no queryset: `Model.objects` only as `Model.objects.visible_to(user)`
   (or a sibling named `<who>_visible_to(user)`; further filters on that are
   fine), no get_object_or_404 (single objects come from `access.access_<thing>()`).
R3 no private names across modules: nobody outside module M uses `M._name`.
   Migrations are left out: they are frozen history and must keep naming what
   they named when they were written.
R6 no module-level import cycle between project modules (in-function imports
   are how a cycle is broken when it must be, with a comment why), and no
   benchmark hooks inside production apps (they live under bench/).
R7 querysets and managers live in their app's models.py (or models/ package),
   next to the model they serve: Django's own place for them, the one a
   newcomer opens first, and the only place where a queryset can name its
   app's other models (`Done` in `EntryQuerySet.with_done`) without an
   in-function import: models.py imports nothing of its own app, so a
   querysets.py or access.py holding them needs `from app.models import X`
   inside the methods, or a cycle. (R4, R5 are the file gate and the cache's
   invalidation, tested in tests/files and the apps' test_actions_bump_pages.)
R8 views decide no access: no Http404 or PermissionDenied in a views module
   (raised, caught or imported) and no reading of the person's roles or
   Django's is_staff/is_superuser/has_perm there. Whether an object exists for
   this person, and whether they may act on it, is an `access_*()` function's
   answer in access.py (it returns the object or raises), so the access matrix
   and the access tests cover every such decision in one place.

Each rule is parametrized per app so a failure names the app and every line
that breaks it. PENDING may name an app that is being brought in line, with
why; its cases are then xfail until it is.
"""

import ast
import pathlib
from dataclasses import dataclass, field

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The project's own packages (tests/ and scripts/ are not production code).
PROJECT_PACKAGES = ("ent", "homework", "absences", "messaging", "media", "bench")
# Where the import-cycle rule applies: the production apps (bench/ imports
# them and nothing imports bench/, so it cannot close a cycle with them).
CYCLE_PACKAGES = ("ent", "homework", "absences", "messaging", "media")

# The apps, most specific prefix first: a module belongs to the first that matches.
APPS = (
    "ent.directory",
    "ent.notify",
    "ent.identity",
    "ent.api",
    "ent",
    "homework",
    "messaging",
    "media",
    "absences",
    "bench",
)
# Apps being brought in line (none today): app -> why.
PENDING: dict[str, str] = {}

# Import cycles that exist today and could not be broken yet, each named by its
# modules. This list may only shrink: a new cycle fails, and an entry that no
# longer matches a cycle fails too (remove it).
ALLOWED_CYCLES: list[frozenset] = []

WRITE_METHODS = {"save", "delete", "create", "update", "get_or_create", "update_or_create"}
TRANSACTION_NAMES = {"transaction", "atomic", "on_commit", "select_for_update"}
HAND_BUILT = {"get_object_or_404", "get_list_or_404"}


@dataclass
class Module:
    name: str
    path: pathlib.Path
    tree: ast.Module
    is_package: bool
    parents: dict = field(default_factory=dict)

    @property
    def app(self):
        return app_of(self.name)

    @property
    def is_views(self):
        parts = self.name.split(".")
        return parts[-1].startswith("views") or "views" in parts[:-1]

    def where(self, node):
        return f"{self.path.relative_to(ROOT)}:{node.lineno}"


def app_of(module_name):
    for app in APPS:
        if module_name == app or module_name.startswith(app + "."):
            return app
    raise AssertionError(f"{module_name} belongs to no app")


def _load_modules():
    modules = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            name = ".".join(parts)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            module = Module(name, path, tree, is_package)
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    module.parents[child] = node
            modules[name] = module
    return modules


MODULES = _load_modules()


def _modules_of(app):
    return [m for m in MODULES.values() if m.app == app]


def _app_params(apps=APPS):
    return [
        pytest.param(app, marks=pytest.mark.xfail(strict=False, reason=PENDING[app])) if app in PENDING else app
        for app in apps
    ]


def _absolute(module, node):
    """The module an ImportFrom names, relative imports resolved."""
    if not node.level:
        return node.module
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_project(name):
    return name is not None and name.split(".")[0] in PROJECT_PACKAGES


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _inside(importer, owner):
    return importer == owner or importer.startswith(owner + ".")


# --- R1, R2: views -----------------------------------------------------------------


def _r1_offences(module):
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] in TRANSACTION_NAMES:
                    found.append(f"{module.where(node)} imports {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr in TRANSACTION_NAMES:
            found.append(f"{module.where(node)} uses .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in WRITE_METHODS or attr.startswith("bulk_"):
                found.append(f"{module.where(node)} calls .{attr}()")
    return found


def _r2_offences(module):
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            parent = module.parents.get(node)
            grandparent = module.parents.get(parent)
            is_visible_to = (
                isinstance(parent, ast.Attribute)
                and (parent.attr == "visible_to" or parent.attr.endswith("_visible_to"))
                and isinstance(grandparent, ast.Call)
                and grandparent.func is parent
            )
            if not is_visible_to:
                found.append(f"{module.where(node)} builds a queryset from {ast.unparse(node)}")
        elif isinstance(node, ast.Name) and node.id in HAND_BUILT:
            found.append(f"{module.where(node)} uses {node.id}")
    return found


def _views_of(app):
    return [m for m in _modules_of(app) if m.is_views]


@pytest.mark.parametrize("app", _app_params())
def test_r1_views_write_nothing(app):
    offences = [o for m in _views_of(app) for o in _r1_offences(m)]
    assert offences == [], "writes, transactions and locks belong in actions:\n" + "\n".join(offences)


@pytest.mark.parametrize("app", _app_params())
def test_r2_views_build_no_queryset(app):
    offences = [o for m in _views_of(app) for o in _r2_offences(m)]
    assert offences == [], "lists come from visible_to(), objects from access_*():\n" + "\n".join(offences)


# --- R3: private names -------------------------------------------------------------


def _module_aliases(module):
    """Local names bound to project modules by imports anywhere in the module."""
    aliases = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _is_project(alias.name):
                    continue
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    # `import ent.pagecache` binds `ent`; the attribute chain is resolved below.
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if not _is_project(source):
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                if candidate in MODULES:
                    aliases[alias.asname or alias.name] = candidate
    return aliases


def _dotted(node, aliases):
    """The project module an expression like `ent.pagecache` or `access` names, if any."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        if base is not None and f"{base}.{node.attr}" in MODULES:
            return f"{base}.{node.attr}"
    return None


def _r3_offences(module):
    found = []
    aliases = _module_aliases(module)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if not _is_project(source) or _inside(module.name, source):
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{module.where(node)} imports {alias.name} from {source}")
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = _dotted(node.value, aliases)
            if owner is not None and not _inside(module.name, owner):
                found.append(f"{module.where(node)} uses {owner}.{node.attr}")
    return found


@pytest.mark.parametrize("app", _app_params())
def test_r3_no_private_names_across_modules(app):
    offences = [o for m in _modules_of(app) if ".migrations." not in m.name for o in _r3_offences(m)]
    assert offences == [], "make the name public (one copy) or keep it inside its module:\n" + "\n".join(offences)


# --- R6: import cycles, bench hooks ------------------------------------------------


def _module_level_imports(module):
    """Imports run when the module is imported: not in functions, not under TYPE_CHECKING."""
    pending = list(module.tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        pending.extend(ast.iter_child_nodes(node))


def _import_targets(module, node):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in MODULES:
                yield alias.name
        return
    source = _absolute(module, node)
    if source not in MODULES:
        return
    for alias in node.names:
        candidate = f"{source}.{alias.name}"
        yield candidate if candidate in MODULES else source


def import_graph(packages=CYCLE_PACKAGES):
    graph = {}
    for name, module in MODULES.items():
        if name.split(".")[0] not in packages:
            continue
        targets = set()
        for node in _module_level_imports(module):
            targets.update(t for t in _import_targets(module, node) if t.split(".")[0] in packages and t != name)
        graph[name] = targets
    return graph


def strongly_connected(graph):
    """Tarjan's algorithm, iterative (the graph has hundreds of nodes)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.append(frozenset(component))
    return result


CYCLES = strongly_connected(import_graph())


def _unexpected_cycles():
    return [c for c in CYCLES if not any(c <= allowed for allowed in ALLOWED_CYCLES)]


def _describe(cycle):
    graph = import_graph()
    edges = sorted(f"{a} -> {b}" for a in cycle for b in graph[a] if b in cycle)
    return "cycle between " + ", ".join(sorted(cycle)) + ":\n    " + "\n    ".join(edges)


@pytest.mark.parametrize("app", _app_params(tuple(a for a in APPS if a != "bench")))
def test_r6_no_module_level_import_cycle(app):
    mine = [c for c in _unexpected_cycles() if any(app_of(m) == app for m in c)]
    assert mine == [], "break it (move the shared code down, or one in-function import with a comment why):\n" + (
        "\n".join(_describe(c) for c in mine)
    )


def test_r6_allowed_cycles_only_shrink():
    stale = [sorted(a) for a in ALLOWED_CYCLES if a not in CYCLES]
    assert stale == [], f"these allowed cycles are gone or smaller: update ALLOWED_CYCLES: {stale}"


@pytest.mark.parametrize("app", _app_params(tuple(a for a in APPS if a != "bench")))
def test_r6_no_bench_hooks_in_apps(app):
    hooks = [
        m.name
        for m in _modules_of(app)
        if any(part == "bench" or part.endswith("_bench") or part.startswith("bench_") for part in m.name.split("."))
    ]
    assert hooks == [], f"benchmark hooks belong under bench/ (bench/pages/<app>.py): {hooks}"


# --- R7: querysets in models.py --------------------------------------------------------

# Querysets not yet in their app's models.py, each named by module and class,
# in files another engineer owns this session. May only shrink: a new one fails,
# and an entry that no longer matches fails too (remove it).
QUERYSETS_ELSEWHERE: dict[str, str] = {}


def _is_queryset_class(node):
    """A class built on a QuerySet or a Manager (`models.QuerySet`, `UserManager.from_queryset(...)`)."""
    for base in node.bases:
        text = ast.unparse(base)
        head = text.split("(")[0]
        if head.endswith(("QuerySet", "Manager")) or ".from_queryset(" in text or "as_manager" in text:
            return True
    return False


def _is_models_module(module):
    parts = module.name.split(".")
    return parts[-1] == "models" or "models" in parts[:-1]


def _r7_classes(module):
    """(qualified name, where) of each queryset or manager class the module defines outside models."""
    if ".migrations." in module.name or _is_models_module(module):
        return []
    return [
        (f"{module.name}.{node.name}", module.where(node))
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef) and _is_queryset_class(node)
    ]


@pytest.mark.parametrize("app", _app_params())
def test_r7_querysets_live_in_models(app):
    offences = [
        f"{where} defines {name}"
        for m in _modules_of(app)
        for name, where in _r7_classes(m)
        if name not in QUERYSETS_ELSEWHERE
    ]
    assert offences == [], "a queryset or manager goes in its app's models.py, above its model:\n" + "\n".join(offences)


def test_r7_querysets_elsewhere_only_shrink():
    found = {name for m in MODULES.values() for name, _ in _r7_classes(m)}
    stale = sorted(set(QUERYSETS_ELSEWHERE) - found)
    assert stale == [], f"these querysets moved to models.py: remove them from QUERYSETS_ELSEWHERE: {stale}"


# --- R8: views decide no access ----------------------------------------------------------

ACCESS_EXCEPTIONS = {"Http404", "PermissionDenied"}
ACCESS_ATTRIBUTES = {"roles", "is_staff", "is_superuser", "has_perm", "has_perms"}

# Views that still decide, each named by module and function ("<module>" for a
# module-level import). None left: keep it empty (a view that decides fails;
# an entry that no longer matches fails too).
VIEWS_DECIDING: dict[str, str] = {}


def _enclosing_function(module, node):
    while node is not None:
        node = module.parents.get(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.name
    return "<module>"


def _r8_offences(module):
    """{"module:function": [what, ...]} for each place a views module decides access."""
    found = {}

    def add(node, what):
        found.setdefault(f"{module.name}:{_enclosing_function(module, node)}", []).append(
            f"{module.where(node)} {what}"
        )

    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in ACCESS_EXCEPTIONS:
                    add(node, f"imports {alias.name}")
        elif isinstance(node, ast.Name) and node.id in ACCESS_EXCEPTIONS:
            add(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in ACCESS_EXCEPTIONS | ACCESS_ATTRIBUTES:
            add(node, f"uses .{node.attr}")
    return found


@pytest.mark.parametrize("app", _app_params())
def test_r8_views_decide_no_access(app):
    offences = [
        line
        for m in _views_of(app)
        for where, lines in _r8_offences(m).items()
        if where not in VIEWS_DECIDING
        for line in lines
    ]
    assert offences == [], "ask access.py (an access_*() that returns the object or raises):\n" + "\n".join(offences)


def test_r8_views_deciding_only_shrink():
    found = {where for m in MODULES.values() if m.is_views for where in _r8_offences(m)}
    stale = sorted(set(VIEWS_DECIDING) - found)
    assert stale == [], f"these views no longer decide access: remove them from VIEWS_DECIDING: {stale}"


# --- The checks check something -------------------------------------------------------


def _fake(name, source, *, is_package=False):
    tree = ast.parse(source)
    module = Module(name, ROOT / (name.replace(".", "/") + ".py"), tree, is_package)
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            module.parents[child] = node
    return module


def test_the_view_checks_see_what_they_forbid():
    bad = _fake(
        "homework.views",
        "from django.db import transaction\n"
        "def v(request, e):\n"
        "    with transaction.atomic():\n"
        "        e.save()\n"
        "    Entry.objects.filter(x=1).update(y=2)\n"
        "    Done.objects.bulk_create([])\n"
        "    return get_object_or_404(Entry, pk=1)\n",
    )
    r1 = _r1_offences(bad)
    assert any("imports transaction" in o for o in r1)
    assert any(".atomic" in o for o in r1)
    assert any(".save()" in o for o in r1)
    assert any(".update()" in o for o in r1)
    assert any(".bulk_create()" in o for o in r1)
    r2 = _r2_offences(bad)
    assert any("Entry.objects" in o for o in r2)
    assert any("Done.objects" in o for o in r2)
    assert any("get_object_or_404" in o for o in r2)
    good = _fake(
        "homework.views",
        "def v(request):\n"
        "    entries = Entry.objects.visible_to(request.user).filter(x=1)\n"
        "    pupils = User.objects.pupils_visible_to(request.user)\n"
        "    entry = access.access_entry(request.user, 1)\n"
        "    context |= {'entries': entries}\n",
    )
    assert _r1_offences(good) == []
    assert _r2_offences(good) == []


def test_the_private_name_check_sees_what_it_forbids():
    bad = _fake(
        "homework.views",
        "from homework import access\n"
        "from media.access import _int_id\n"
        "import ent.pagecache\n"
        "import absences.actions as absence_actions\n"
        "def v():\n"
        "    access._roles(1)\n"
        "    ent.pagecache._key()\n"
        "    absence_actions._target_of(2)\n",
    )
    offences = _r3_offences(bad)
    assert any("_int_id from media.access" in o for o in offences)
    assert any("homework.access._roles" in o for o in offences)
    assert any("ent.pagecache._key" in o for o in offences)
    assert any("absences.actions._target_of" in o for o in offences)
    inside = _fake("homework.access", "from homework.access import _x\nimport homework.access\nhomework.access._x\n")
    assert _r3_offences(inside) == []
    not_a_module = _fake("homework.views", "from homework import access\naccess.Entry._meta\nrequest._messages\n")
    assert _r3_offences(not_a_module) == []


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}, "g": set()}
    assert sorted(sorted(c) for c in strongly_connected(graph)) == [["a", "b", "c"], ["e", "f"]]


def test_the_queryset_place_check_sees_what_it_forbids():
    source = (
        "from django.db import models\n"
        "from django.contrib.auth.models import UserManager\n"
        "class EntryQuerySet(models.QuerySet):\n    pass\n"
        "class PersonManager(UserManager.from_queryset(EntryQuerySet)):\n    pass\n"
        "class Plain(models.Manager):\n    pass\n"
        "class Target:\n    pass\n"
    )
    names = [name for name, _ in _r7_classes(_fake("homework.access", source))]
    assert names == ["homework.access.EntryQuerySet", "homework.access.PersonManager", "homework.access.Plain"]
    # A querysets.py is "elsewhere" too: one kind of place, not two.
    assert len(_r7_classes(_fake("homework.querysets", source))) == 3
    assert _r7_classes(_fake("homework.models", source)) == []
    assert _r7_classes(_fake("absences.models.registers", source)) == []


def test_the_access_decision_check_sees_what_it_forbids():
    bad = _fake(
        "homework.views",
        "from django.http import Http404\n"
        "from django.core import exceptions\n"
        "def diaries(request):\n"
        "    if not access.readable_targets(request.user):\n"
        "        raise Http404\n"
        "def tick(request):\n"
        "    if request.user.roles.is_pupil or request.user.is_staff:\n"
        "        raise exceptions.PermissionDenied\n"
        "def other(request):\n"
        "    try:\n"
        "        pass\n"
        "    except Http404:\n"
        "        pass\n",
    )
    offences = _r8_offences(bad)
    assert sorted(offences) == [
        "homework.views:<module>",
        "homework.views:diaries",
        "homework.views:other",
        "homework.views:tick",
    ]
    assert any("uses .roles" in o for o in offences["homework.views:tick"])
    assert any("uses .is_staff" in o for o in offences["homework.views:tick"])
    assert any("uses .PermissionDenied" in o for o in offences["homework.views:tick"])
    good = _fake(
        "homework.views",
        "def diaries(request):\n"
        "    targets = access.access_readable_targets(request.user)\n"
        "    return render(request, 't.html', {'targets': targets, 'menu': access.menu(request.user)})\n",
    )
    assert _r8_offences(good) == {}

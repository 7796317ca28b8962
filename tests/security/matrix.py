"""The access matrix: one declarative entry per route of the project.

Each entry says how to call the route with real rows of `tests.factories.World`
(URL kwargs, method, form data) and what each persona must get: a status code,
or LOGIN for a redirect to the login page. A route without an entry fails the
suite (tests/security/test_access_matrix.py), so every new route is covered the
day it lands. "Foreign" rows are another family's child and another school.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

LOGIN = "login"  # 302 to the login page

PERSONAS = [
    "anonymous",
    "pupil",
    "guardian",
    "guardian2",
    "guardian_nojustify",
    "teacher",
    "other_teacher",
    "vie_scolaire",
    "direction",
    "referent",
    "admin",
    "outsider_parent",
    "staff_b",
]
SIGNED_IN = [p for p in PERSONAS if p != "anonymous"]


def expect(default, **overrides):
    """Every persona gets `default` (anonymous gets LOGIN unless overridden)."""
    table = dict.fromkeys(SIGNED_IN, default)
    table["anonymous"] = LOGIN
    table.update(overrides)
    return table


def only(allowed, status=200, other=404, **overrides):
    """`status` for the listed personas, `other` for the rest."""
    table = {p: (status if p in allowed else other) for p in SIGNED_IN}
    table["anonymous"] = LOGIN
    table.update(overrides)
    return table


@dataclass
class Route:
    expected: dict
    kwargs: Callable = lambda w: {}
    method: str = "get"
    data: Callable = lambda w: {}
    # Follow-up check after a state-changing request, or a note on why an
    # outcome is what it is.
    note: str = ""
    extra: dict = field(default_factory=dict)


SCHOOL_STAFF = ["vie_scolaire", "direction", "referent"]
FAMILY = ["pupil", "guardian", "guardian2", "guardian_nojustify"]

MATRIX: dict[str, Route] = {
    # Directory
    "home": Route(expect(200)),
    "select_child": Route(
        only(["guardian", "guardian2", "guardian_nojustify"], status=302),
        method="post",
        data=lambda w: {"child": w.pupil.id},
    ),
    "activate": Route(expect(200, anonymous=200)),
    "activate_password": Route(expect(302, anonymous=302), note="no code entered yet: back to step 1"),
    "school_detail": Route(
        only(FAMILY + ["teacher", "other_teacher", "admin", "outsider_parent"] + SCHOOL_STAFF),
        kwargs=lambda w: {"school_id": w.school.id},
    ),
    "class_detail": Route(
        only(FAMILY + ["teacher", "admin", "outsider_parent"] + SCHOOL_STAFF),
        kwargs=lambda w: {"class_id": w.klass.id},
    ),
    "pupil_detail": Route(
        only(FAMILY + ["teacher", "admin"] + SCHOOL_STAFF),
        kwargs=lambda w: {"pupil_id": w.pupil.id},
    ),
    "pupil_reset_code": Route(
        only(["vie_scolaire", "direction", "admin"]),
        method="post",
        kwargs=lambda w: {"pupil_id": w.pupil.id},
    ),
    # Operations
    "healthz": Route(expect(None, anonymous=None), note="service status, no personal data: any status"),
    "livez": Route(expect(200, anonymous=200), note="liveness: no data at all"),
    "set_language": Route(expect(302, anonymous=302), method="post", data=lambda w: {"language": "en"}),
}


def _load_app_entries():
    """Each app declares its own routes in tests/security/matrix_<app>.py as
    `ROUTES = {name: Route(...)}`, so parallel work never edits one shared table."""
    import importlib
    import pkgutil

    import tests.security as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("matrix_"):
            module = importlib.import_module(f"tests.security.{info.name}")
            clash = set(module.ROUTES) & set(MATRIX)
            assert not clash, f"{info.name} redefines {clash}"
            MATRIX.update(module.ROUTES)


_load_app_entries()

# Routes deliberately outside the matrix, each with the reason.
EXEMPT_PREFIXES = {
    "admin:": "Django admin: its own permission system (is_staff), not a family-facing page",
    "account_": "allauth's account pages: anonymous by design, covered by tests/directory/test_login.py",
    "mfa_": "allauth MFA pages: covered by tests/directory/test_login.py",
}
EXEMPT = {
    "javascript-catalog": "static translations for scripts",
    # python3-saml reads META["HTTP_HOST"], which the test client does not send: it raises before anything.
    "saml_sls": "SAML single logout: acts only on messages signed by the IdP (tests/identity)",
}

"""A demo seed hook whose own import fails: seed_demo must not hide that."""

import no_such_dependency  # noqa: F401


def seed(context):
    pass

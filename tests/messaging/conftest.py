import pytest

from messaging import actions


@pytest.fixture
def start(world):
    """Open a conversation as `sender` with `recipients` (policy checked)."""

    def _start(sender, *recipients, subject="Sujet", body="Bonjour"):
        return actions.do_start_conversation(sender, [r.pk for r in recipients], subject, body)

    return _start


@pytest.fixture
def fresh():
    """Re-read a person: roles are cached on the user object."""
    from ent.directory.models import User

    def _fresh(user):
        return User.objects.get(pk=user.pk)

    return _fresh

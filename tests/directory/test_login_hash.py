"""Password hashing (issue #25): Argon2id at OWASP's parameters first, PBKDF2
kept so that old hashes still check and are rewritten at the next login. These
tests use the production hashers (the rest of the suite keeps MD5 for speed)."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.core.cache import cache
from django.test import Client

import ent.settings as production
from ent.directory.auth_backends import OWASPArgon2Hasher
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_hashers(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    cache.clear()


def test_argon2id_with_owasp_parameters_comes_first():
    assert production.PASSWORD_HASHERS[0] == "ent.directory.auth_backends.OWASPArgon2Hasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS[1:]
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$"), encoded
    assert isinstance(identify_hasher(encoded), OWASPArgon2Hasher)


def test_old_pbkdf2_hash_is_upgraded_at_login(world):
    user = world.guardian
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    client = Client()
    assert client.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")
    # The password still works, now checked by Argon2id.
    client = Client()
    assert client.post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in client.session


def test_weaker_argon2_parameters_are_upgraded_too(world):
    """A hash made with other Argon2 parameters (Django's defaults) is rewritten with ours."""
    user = world.guardian
    user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=12288" not in user.password
    user.save(update_fields=["password"])
    assert Client().post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert "m=12288,t=3,p=1" in user.password


def test_hashes_of_the_earlier_owasp_parameters_are_rewritten_at_login(world):
    """Until session 11 the first hasher used m = 19 MiB, t = 2: those hashes
    still check, and become m = 12 MiB, t = 3 at the next login."""
    from argon2 import PasswordHasher

    user = world.guardian
    earlier = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(PASSWORD)
    user.password = "argon2" + earlier
    user.save(update_fields=["password"])
    assert "m=19456,t=2,p=1" in user.password
    assert Client().post("/accounts/login/", {"login": "parent_t", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert "m=12288,t=3,p=1" in user.password
    assert user.check_password(PASSWORD)


def test_demo_data_uses_the_same_hasher():
    """The demo hashes its password once (make_password: the first hasher) and
    gives that hash to every demo account; bench/seed.py does the same."""
    from ent.directory.demo import DEMO_PASSWORD, write_directory
    from ent.directory.models import User

    write_directory()
    demo_users = User.objects.filter(is_demo=True)
    assert demo_users.count() > 10
    assert {u.password.split("$", 2)[1] for u in demo_users} == {"argon2id"}
    assert demo_users.first().check_password(DEMO_PASSWORD)

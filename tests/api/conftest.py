import pytest

from ent.api.actions import do_create_token


@pytest.fixture
def bearer(client):
    """A client function that calls the API with a new personal token of `user`."""

    def _for(user):
        _token, secret = do_create_token(user, "test app")
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return _for

"""Start-up set-up of the object store: the bucket and its lifecycle rule."""

import pytest
from django.conf import settings
from django.core.management import call_command

from ent import storage
from media.storage_setup import ABORT_AFTER_DAYS, RULE_ID, ensure_lifecycle


def test_ensure_storage_creates_the_bucket_and_sets_the_lifecycle_or_carries_on(s3, capsys):
    storage.client().remove_bucket(settings.S3_BUCKET)  # the fixture's bucket is still empty
    call_command("ensure_storage")
    assert storage.client().bucket_exists(settings.S3_BUCKET)
    out = capsys.readouterr().out
    accepted = ensure_lifecycle()  # idempotent: a second run changes nothing
    if accepted:
        config = storage.client().get_bucket_lifecycle(settings.S3_BUCKET)
        [rule] = [r for r in config.rules if r.rule_id == RULE_ID]
        assert rule.abort_incomplete_multipart_upload.days_after_initiation == ABORT_AFTER_DAYS
        assert "after 1 day" in out
    else:
        # The server refused lifecycle configuration: logged, and start-up carries on.
        assert "refused the lifecycle rule" in out


def test_ensure_storage_fails_clearly_when_the_store_is_down(settings):
    from django.core.management.base import CommandError

    settings.S3_ENDPOINT = "127.0.0.1:9"
    storage.reset_clients()
    try:
        with pytest.raises(CommandError, match="unreachable"):
            call_command("ensure_storage")
    finally:
        storage.reset_clients()

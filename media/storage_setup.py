"""Start-up set-up of the object store: the bucket, and a lifecycle rule that
aborts multipart uploads left incomplete (a browser closed half-way through a
2 GB upload) so their parts do not fill the disk unseen."""

import logging

from django.conf import settings
from minio.commonconfig import ENABLED, Filter
from minio.error import S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, LifecycleConfig, Rule

from ent import storage

log = logging.getLogger(__name__)

RULE_ID = "ent-abort-incomplete-multipart"
ABORT_AFTER_DAYS = 1


def lifecycle_config() -> LifecycleConfig:
    return LifecycleConfig(
        [
            Rule(
                ENABLED,
                rule_filter=Filter(prefix=""),
                rule_id=RULE_ID,
                abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(
                    days_after_initiation=ABORT_AFTER_DAYS
                ),
            )
        ]
    )


def ensure_lifecycle() -> bool:
    """Set the rule; True if the server accepted it. A server that refuses
    lifecycle configuration (some S3 implementations do) is logged, not fatal:
    the orphan sweep still cleans what it can see."""
    try:
        storage.client().set_bucket_lifecycle(settings.S3_BUCKET, lifecycle_config())
    except (S3Error, ValueError) as exc:
        log.warning("the object store refused the lifecycle rule (%s): incomplete uploads are not expired", exc)
        return False
    return True


def ensure_storage() -> bool:
    """The bucket (raises StorageUnavailable if the store is down), then its lifecycle."""
    storage.ensure_bucket()
    return ensure_lifecycle()

"""Files in the diary. The checks (type by content, size, antivirus) are the
one gate's (ent/files.py); what is the diary's own: how many per entry, and the
object keys."""

import uuid

from ent import files

MAX_ATTACHMENTS = 5
KEY_PREFIX = "homework/"
ALLOWED_LABEL = files.HOMEWORK_LABEL


def max_attachment_bytes() -> int:
    return files.HOMEWORK_ATTACHMENT.max_bytes


def max_submission_bytes() -> int:
    return files.HOMEWORK_SUBMISSION.max_bytes


def new_key(kind: str) -> str:
    return f"{KEY_PREFIX}{kind}/{uuid.uuid4().hex}"

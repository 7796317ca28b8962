"""The life of an ImportJob: upload → preview (a task) → confirm → apply (a task).

The upload goes to the object store and the tasks read it back, so no worker
depends on the web process's disk. Progress is written on the row during the
preview; during the apply it goes to the cache, since the apply transaction
hides its own row updates from the page that polls.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ent import files, storage
from ent.directory.imports import parsing, plan
from ent.directory.models import ImportJob, School, User
from ent.errors import ImportNotReady, StorageUnavailable

log = logging.getLogger(__name__)


def progress_key(job_id):
    return f"directory:import-progress:{job_id}"


def live_progress(job: ImportJob) -> int:
    """Rows processed so far, from the cache while applying."""
    if job.status == ImportJob.Status.APPLYING:
        return cache.get(progress_key(job.id), 0)
    return job.processed_rows


def do_start_import(school: School, *, by: User, upload, kind: str, scope: str) -> ImportJob:
    """Store the uploaded file and queue its antivirus scan; the preview follows
    once the file is offered (after_scan). A failed store write records nothing;
    a failed DB write removes the stored file."""
    checked = files.check(upload, files.CSV_IMPORT, name_limit=255)
    key = f"imports/{school.id}/{uuid.uuid4().hex}.csv"
    upload.seek(0)
    storage.put_stream(key, upload, checked.size, content_type="text/csv")
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                school=school,
                created_by=by,
                kind=kind,
                scope=scope,
                file_key=key,
                file_name=checked.filename,
                file_size=checked.size,
                scan=files.ScanState.HELD,
            )
            files.scan_after_commit(files.CSV_IMPORT, job)
    except Exception:
        storage.delete(key)
        raise
    return job


def after_scan(job: ImportJob, state) -> None:
    """The antivirus' verdict on an import's file (ent/files.py, in its
    transaction): clean, the preview is queued; infected, the job fails with a
    clear reason and nothing is ever read from the file."""
    if job.status != ImportJob.Status.PENDING:
        return
    if state == files.ScanState.OFFERED:
        from ent.directory import tasks

        transaction.on_commit(lambda: tasks.preview_import.delay(job.id))
        return
    job.status = ImportJob.Status.FAILED
    job.errors = [{"line": 0, "field": "file", "code": "infected", "params": {}}]
    job.save(update_fields=["status", "errors"])


def _read(job: ImportJob) -> bytes:
    # Never a byte of a file the antivirus has not cleared.
    if job.scan != files.ScanState.OFFERED:
        raise StorageUnavailable()
    response = storage.get_stream(job.file_key) if job.file_key else None
    if response is None:
        raise StorageUnavailable()
    try:
        # Bounded read: a file over the limit is reported, never loaded whole.
        return response.read(parsing.MAX_BYTES + 1)
    finally:
        response.close()
        response.release_conn()


def _parse(job: ImportJob):
    try:
        data = _read(job)
    except StorageUnavailable:
        return None
    return parsing.parse_bytes(data, job.kind)


def do_preview_import(job_id: int) -> ImportJob | None:
    """Dry run: parse, match, count. Idempotent: a job already previewed is left alone."""
    updated = ImportJob.objects.filter(id=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.PREVIEWING
    )
    job = ImportJob.objects.select_related("school").filter(id=job_id).first()
    if job is None or not updated:
        return job
    parsed = _parse(job)
    if parsed is None:
        job.errors = [{"line": 0, "field": "file", "code": "storage", "params": {}}]
        job.status = ImportJob.Status.FAILED
        job.save(update_fields=["errors", "status"])
        return job
    ImportJob.objects.filter(id=job.id).update(total_rows=parsed.total_rows)

    def progress(n):
        ImportJob.objects.filter(id=job.id).update(processed_rows=n)

    outcome = plan.run(parsed, job.school, scope=job.scope, apply=False, by=job.created_by, progress=progress)
    job.encoding, job.delimiter, job.detected_format = parsed.encoding, parsed.delimiter, parsed.detected_format
    job.total_rows = job.processed_rows = parsed.total_rows
    job.errors, job.warnings = _sorted(outcome.errors), _sorted(outcome.warnings)
    job.changes, job.summary = outcome.changes, outcome.summary
    job.status = ImportJob.Status.READY
    job.save()
    log.info("import %s previewed: %s rows, %s errors", job.id, job.total_rows, len(job.errors))
    return job


def do_request_apply(job: ImportJob, *, by: User) -> ImportJob:
    """The person confirmed a clean preview: queue the apply (once)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(id=job.id)
        if not job.can_apply:
            raise ImportNotReady()
        job.status = ImportJob.Status.APPLYING
        job.applied_by = by
        job.processed_rows = 0
        job.save(update_fields=["status", "applied_by", "processed_rows"])
        from ent.directory import tasks

        transaction.on_commit(lambda: tasks.apply_import.delay(job.id))
    return job


def do_apply_import(job_id: int) -> ImportJob | None:
    """Apply in one transaction. The plan is recomputed from the file: if the
    directory changed so that errors appear, nothing is written and the job shows
    the new errors."""
    job = ImportJob.objects.select_related("school", "applied_by").filter(id=job_id).first()
    if job is None or job.status != ImportJob.Status.APPLYING:
        return job
    parsed = _parse(job)
    if parsed is None:
        job.errors = [{"line": 0, "field": "file", "code": "storage", "params": {}}]
        job.status = ImportJob.Status.FAILED
        job.save(update_fields=["errors", "status"])
        return job

    def progress(n):
        cache.set(progress_key(job.id), n, 3600)

    with transaction.atomic():
        outcome = plan.run(parsed, job.school, scope=job.scope, apply=True, by=job.applied_by, progress=progress)
        if outcome.errors:
            transaction.set_rollback(True)
    cache.delete(progress_key(job.id))
    job.errors, job.warnings = _sorted(outcome.errors), _sorted(outcome.warnings)
    job.changes, job.summary = outcome.changes, outcome.summary
    job.processed_rows = parsed.total_rows
    if outcome.errors:
        job.status = ImportJob.Status.FAILED
    else:
        job.status = ImportJob.Status.APPLIED
        job.applied_at = timezone.now()
    job.save()
    log.info("import %s %s", job.id, job.status)
    return job


def _sorted(issues):
    return sorted(issues, key=lambda i: (i["line"], i["field"]))

"""Celery tasks of the directory: each takes ids, re-fetches, calls one action,
and is safe to run twice."""

from celery import shared_task


@shared_task(name="directory.preview_import")
def preview_import(job_id: int):
    from ent.directory.imports.jobs import do_preview_import

    do_preview_import(job_id)


@shared_task(name="directory.apply_import")
def apply_import(job_id: int):
    from ent.directory.imports.jobs import do_apply_import

    do_apply_import(job_id)


@shared_task(name="directory.build_letters")
def build_letters(batch_id: int):
    from ent.directory.letters import do_build_letter_batch

    do_build_letter_batch(batch_id)


@shared_task(name="directory.build_data_export", autoretry_for=(OSError,), retry_backoff=30, max_retries=3)
def build_data_export(export_id: int):
    from ent.directory.privacy import do_build_data_export

    do_build_data_export(export_id)


@shared_task(name="directory.purge_departed_accounts")
def purge_departed_accounts():
    from ent.directory.privacy import purge_departed_accounts as purge

    purge()


@shared_task(name="directory.purge_old_records")
def purge_old_records():
    from ent.directory.privacy import purge_old_records as purge

    purge()

"""Querysets compiled once (ent/compiled.py): the same rows and related objects
as the ORM gives, for any values, with the query built only once."""

import datetime

import pytest
from django.db import connection, transaction
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ent.compiled import CompiledQuery
from ent.directory.models import Enrollment, User

pytestmark = pytest.mark.django_db


def _enrollment(pupil_id):
    return (
        Enrollment.objects.current()
        .filter(pupil_id=pupil_id)
        .select_related("pupil", "school_class__school", "school_class__year")
        .order_by("pk")
    )


def test_same_instances_and_related_objects_as_the_orm(world):
    query = CompiledQuery(_enrollment)
    for pupil in (world.pupil, world.outsider_pupil, world.pupil_b):
        expected = list(_enrollment(pupil.id))
        got = query.list(pupil_id=pupil.id)
        assert [e.pk for e in got] == [e.pk for e in expected] and got
        with CaptureQueriesContext(connection) as ctx:
            assert got[0].school_class.school == expected[0].school_class.school
            assert got[0].school_class.year.name == expected[0].school_class.year.name
            assert got[0].pupil.username == pupil.username
        assert not ctx.captured_queries  # select_related objects came with the row
    assert query.list(pupil_id=world.teacher.id) == []
    assert query.first(pupil_id=world.teacher.id) is None


def test_built_once_then_run_with_each_values_sql(world, monkeypatch):
    query = CompiledQuery(_enrollment)
    query.list(pupil_id=world.pupil.id)
    builds = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: builds.append(1) or real(self, *a, **k))
    with CaptureQueriesContext(connection) as ctx:
        assert query.first(pupil_id=world.pupil_b.id).pupil_id == world.pupil_b.id
        assert query.first(pupil_id=world.pupil.id).pupil_id == world.pupil.id
    assert builds == []
    assert len(ctx.captured_queries) == 2  # logged and counted as any query
    assert str(world.pupil_b.id) in ctx.captured_queries[0]["sql"]


def test_values_lists_dates_and_datetimes(world):
    query = CompiledQuery(
        lambda first, joined_after: (
            User.objects.filter(date_joined__gt=joined_after, enrollments__school_class__year__starts_on__lte=first)
            .order_by("id")
            .values_list("id", flat=True)
        ),
        first=datetime.date,
        joined_after=datetime.datetime,
    )
    long_ago = timezone.now() - datetime.timedelta(days=3650)
    for day, since in ((datetime.date(2026, 9, 2), long_ago), (datetime.date(2020, 1, 1), long_ago)):
        expected = list(
            User.objects.filter(date_joined__gt=since, enrollments__school_class__year__starts_on__lte=day)
            .order_by("id")
            .values_list("id", flat=True)
        )
        assert query.list(first=day, joined_after=since) == expected
    assert world.pupil.id in query.list(first=datetime.date(2026, 9, 2), joined_after=long_ago)
    assert query.list(first=datetime.date(2020, 1, 1), joined_after=long_ago) == []


def test_ids_out_of_range_find_nothing_like_the_orm(world):
    query = CompiledQuery(_enrollment)
    assert query.list(pupil_id=10**30) == list(_enrollment(10**30)) == []


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_needs_a_transaction(world):
    query = CompiledQuery(lambda pupil_id: User.objects.select_for_update().filter(id=pupil_id).order_by())
    with pytest.raises(TransactionManagementError):
        query.list(pupil_id=world.pupil.id)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            assert query.first(pupil_id=world.pupil.id) == world.pupil
        assert "FOR UPDATE" in ctx.captured_queries[0]["sql"]


def test_placeholders_it_cannot_find_again_fall_back_to_the_orm(world, monkeypatch):
    with pytest.raises(TypeError):  # only ids, dates and datetimes are placeholders
        CompiledQuery(lambda name: User.objects.filter(username=name), name=str).list(name="x")
    # A value changed on its way into the SQL is found nowhere in the parameters:
    # the query is then built on every call, and still right.
    query = CompiledQuery(lambda before_id: User.objects.filter(id=before_id + 1).order_by())
    builds = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: builds.append(1) or real(self, *a, **k))
    assert query.first(before_id=world.pupil.id - 1) == world.pupil
    assert query.first(before_id=world.teacher.id - 1) == world.teacher
    assert len(builds) == 3  # the try, then each call


def test_prefetching_is_refused_rather_than_skipped(world):
    query = CompiledQuery(lambda user_id: User.objects.filter(id=user_id).prefetch_related("enrollments"))
    with pytest.raises(ValueError, match="prefetch_related"):
        query.list(user_id=world.pupil.id)

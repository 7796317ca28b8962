"""A granted write permission is remembered (messaging/access.py check_write),
and forgotten by the next change of the directory or of the school's policy,
whether it comes from a single save or a bulk update."""

import pytest

from ent.directory import lifecycle
from messaging import access, actions
from messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(world, start, fresh):
    return start(fresh(world.guardian), world.teacher, subject="Cantine", body="Bonjour")


def test_a_granted_permission_costs_one_query_the_next_time(world, conv, fresh, django_assert_num_queries):
    guardian = fresh(world.guardian)
    access.check_write(guardian, conv)
    with django_assert_num_queries(1):  # the participants; the policy is not rebuilt
        access.check_write(guardian, conv)


def test_a_lost_teaching_assignment_ends_it(world, conv, fresh):
    actions.do_send_message(fresh(world.guardian), conv, "Un")
    # Through the admin (where an assignment is ended by hand): a bare delete
    # tells no one since the directory's actions own the cache's invalidation.
    from django.contrib import admin
    from django.test import RequestFactory

    from ent.directory.models import TeachingAssignment

    request = RequestFactory().post("/admin/")
    request.user = world.admin
    admin.site.get_model_admin(TeachingAssignment).delete_queryset(request, world.teacher.teaching_assignments.all())
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.guardian), conv, "Deux")
    assert Message.objects.filter(conversation=conv).count() == 2


def test_a_blocked_account_ends_it_even_by_bulk_update(world, conv, fresh):
    actions.do_send_message(fresh(world.guardian), conv, "Un")
    assert lifecycle.do_set_accounts_active([world.teacher], active=False, by=world.admin) == 1
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.guardian), conv, "Deux")


def test_the_school_turning_pupils_off_ends_it(world, start, fresh):
    conv = start(fresh(world.pupil), world.teacher, subject="Exposé", body="Bonjour")
    actions.do_send_message(fresh(world.pupil), conv, "Un")
    actions.do_set_policy(
        fresh(world.direction), world.school, pupils_may_write=False, pupils_may_start=False, parents_may_start=True
    )
    with pytest.raises(access.PolicyError):
        actions.do_send_message(fresh(world.pupil), conv, "Deux")


def test_a_refusal_is_never_remembered(world, conv, fresh):
    assignments = list(world.teacher.teaching_assignments.all())
    world.teacher.teaching_assignments.all().delete()
    with pytest.raises(access.PolicyError):
        access.check_write(fresh(world.guardian), conv)
    for a in assignments:
        a.pk = None
        a.save()
    access.check_write(fresh(world.guardian), conv)  # allowed again at once

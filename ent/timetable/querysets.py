"""visible_to(user) for the timetable (see ent/timetable/access.py for the
rules in words). Each is one SQL query built from the person's roles."""

from django.db import models
from django.db.models import Q

from ent.directory.querysets import roles_of


def _rule(user, roles, *, klass, group, school, teacher):
    """Who sees which lessons, as a Q over the given lookups: a slot's own
    fields, a change's slot's, or an extra lesson's own; one rule, written once."""
    from ent.directory.models import Group

    q = Q(pk__in=[])
    if roles.pupil_class_ids or roles.pupil_group_ids:
        q |= Q(**{f"{klass}__in": roles.pupil_class_ids}) | Q(**{f"{group}__in": roles.pupil_group_ids})
    if roles.child_ids:
        child_classes = {cid for ids in roles.child_class_ids.values() for cid in ids}
        child_groups = Group.members.through.objects.filter(user_id__in=roles.child_ids).values("group_id")
        q |= Q(**{f"{klass}__in": child_classes}) | Q(**{f"{group}__in": child_groups})
    if roles.teacher_school_ids or roles.is_teacher:
        q |= Q(**{f"{klass}__in": roles.taught_class_ids}) | Q(**{f"{group}__in": roles.taught_group_ids})
    q |= Q(**{teacher: user.pk})
    if roles.staff:
        q |= Q(**{f"{school}__in": roles.staff_school_ids()})
    return q


def slot_rule(user, roles, prefix=""):
    return _rule(
        user,
        roles,
        klass=f"{prefix}school_class_id",
        group=f"{prefix}group_id",
        school=f"{prefix}school_id",
        teacher=f"{prefix}teachers",
    )


class SlotQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        # teachers is many-to-many: filtering on it could repeat a slot.
        return self.filter(pk__in=self.model.objects.filter(slot_rule(user, roles)).values("pk"))


class ChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A change is seen by whoever sees its slot (or would see the extra
        lesson's class or group), its replacement teacher, and the office."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        from ent.timetable.models import Slot

        of_slot = Q(slot__in=Slot.objects.filter(slot_rule(user, roles)).values("pk"))
        extra = Q(slot__isnull=True) & _rule(
            user, roles, klass="school_class_id", group="group_id", school="school_id", teacher="teacher"
        )
        return self.filter(of_slot | extra | Q(teacher=user.pk))

"""visible_to(user) for the directory: the one place that says which schools,
classes and people a person may see. Each is a single SQL query (subqueries,
no per-row work), built from the person's roles."""

from django.db import models
from django.db.models import Q


def roles_of(user):
    """The person's roles, or None for anyone not signed in (every app's
    visible_to and access functions start here)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.roles


class SchoolQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.school_ids)
        if roles.admin_territory_ids:
            q |= Q(territory_id__in=roles.admin_territory_ids)
        return self.filter(q)

    def administered_by(self, user):
        """Schools whose data the person may change: their staff schools and the
        schools of the territories they administer."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.staff_school_ids())
        if roles.admin_territory_ids:
            q |= Q(territory_id__in=roles.admin_territory_ids)
        return self.filter(q)


class SchoolClassQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=roles.pupil_class_ids | roles.taught_class_ids)
        q |= Q(id__in={cid for ids in roles.child_class_ids.values() for cid in ids})
        q |= Q(school_id__in=roles.staff_school_ids())
        if roles.admin_territory_ids:
            q |= Q(school__territory_id__in=roles.admin_territory_ids)
        return self.filter(q)

    def current(self):
        return self.filter(year__is_current=True)


class PersonQuerySet(models.QuerySet):
    def pupils_visible_to(self, user):
        """Pupils whose file this person may open."""
        from ent.directory.models import Enrollment, Group

        roles = roles_of(user)
        if roles is None:
            return self.none()
        current = Enrollment.objects.current()
        q = Q(id__in=roles.child_ids)
        if roles.is_pupil:
            q |= Q(id=roles.user_id)
        if roles.taught_class_ids:
            q |= Q(id__in=current.filter(school_class_id__in=roles.taught_class_ids).values("pupil_id"))
        if roles.taught_group_ids:
            q |= Q(id__in=Group.members.through.objects.filter(group_id__in=roles.taught_group_ids).values("user_id"))
        if roles.staff:
            q |= Q(id__in=current.filter(school_class__school_id__in=roles.staff_school_ids()).values("pupil_id"))
        if roles.admin_territory_ids:
            q |= Q(
                id__in=current.filter(school_class__school__territory_id__in=roles.admin_territory_ids).values(
                    "pupil_id"
                )
            )
        return self.filter(q)

    def visible_to(self, user):
        """People this person may see in the directory: themselves, the pupils
        they may see, those pupils' guardians, and the adults of their schools
        that concern them."""
        from ent.directory.models import Guardianship, StaffRole, TeachingAssignment

        roles = roles_of(user)
        if roles is None:
            return self.none()
        pupils = self.model.objects.pupils_visible_to(user).values("id")
        q = Q(id=roles.user_id) | Q(id__in=pupils)
        # Guardians of visible pupils, for the adults who work with them.
        if roles.is_teacher or roles.is_staff or roles.is_admin:
            q |= Q(id__in=Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id"))
        # Colleagues: staff and teachers of the schools one works in.
        work_schools = roles.teacher_school_ids | roles.staff_school_ids()
        admin_territories = roles.admin_territory_ids
        if work_schools or admin_territories:
            school_q = Q(school_id__in=work_schools)
            class_q = Q(school_class__school_id__in=work_schools) | Q(group__school_id__in=work_schools)
            if admin_territories:
                school_q |= Q(school__territory_id__in=admin_territories)
                class_q |= Q(school_class__school__territory_id__in=admin_territories)
                class_q |= Q(group__school__territory_id__in=admin_territories)
            q |= Q(id__in=StaffRole.objects.filter(school_q).values("user_id"))
            q |= Q(id__in=TeachingAssignment.objects.filter(class_q).values("teacher_id"))
        # Families and pupils see the teachers of their (children's) classes and
        # groups, and the staff of their (children's) schools.
        family_classes = roles.pupil_class_ids | {cid for ids in roles.child_class_ids.values() for cid in ids}
        family_groups_q = Q(group__members__id__in=roles.child_ids | ({roles.user_id} if roles.is_pupil else set()))
        if family_classes:
            q |= Q(
                id__in=TeachingAssignment.objects.filter(
                    Q(school_class_id__in=family_classes) | family_groups_q,
                    Q(school_class__year__is_current=True) | Q(group__year__is_current=True),
                ).values("teacher_id")
            )
            q |= Q(
                id__in=StaffRole.objects.filter(
                    school_id__in=roles.pupil_school_ids | roles.children_school_ids
                ).values("user_id")
            )
        return self.filter(q)

    def children_of(self, user):
        """The children this person is guardian of, currently enrolled."""
        roles = roles_of(user)
        if roles is None:
            return self.none()
        return self.filter(id__in=roles.child_ids)

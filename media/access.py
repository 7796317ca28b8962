"""Who may see and change resources, fleets and tablets: the one place.

- a teacher proposes resources for the schools they teach in, and sees that
  school's approved catalogue plus their own proposals;
- the school's référent numérique or direction approves, rejects, withdraws,
  assigns, and runs the tablet fleets; they see everything of their school;
- a pupil sees only offered (approved, clean) items assigned to their classes or
  groups; a parent the same for each of their children;
- anything else, including another school, is a 404.
"""

from django.db import models
from django.db.models import Q
from django.http import Http404

from ent.directory.models import Group, StaffRole

APPROVER_ROLES = (StaffRole.Role.REFERENT, StaffRole.Role.DIRECTION)


def _roles(user):
    if not getattr(user, "is_authenticated", False):
        return None
    return user.roles


def _int_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def approver_school_ids(user) -> frozenset:
    roles = _roles(user)
    return roles.staff_school_ids(*APPROVER_ROLES) if roles else frozenset()


def proposer_school_ids(user) -> frozenset:
    """Schools where the person may propose a resource."""
    roles = _roles(user)
    if roles is None:
        return frozenset()
    return roles.teacher_school_ids | roles.staff_school_ids(*APPROVER_ROLES)


def fleet_school_ids(user) -> frozenset:
    return approver_school_ids(user)


def can_approve(user, school_id) -> bool:
    return school_id in approver_school_ids(user)


def _offered_q(prefix=""):
    from media.models import Item

    return Q(**{f"{prefix}status": Item.Status.APPROVED}) & (
        Q(**{f"{prefix}kind": Item.Kind.LINK}) | Q(**{f"{prefix}current_version__isnull": False})
    )


class ItemQuerySet(models.QuerySet):
    def offered(self):
        """Approved and, for files, with a clean approved version."""
        return self.filter(_offered_q())

    def assigned_to(self, class_ids, group_ids):
        q = Q(assignments__school_class_id__in=class_ids) | Q(assignments__group_id__in=group_ids)
        return self.offered().filter(id__in=self.model.objects.filter(q).values("id"))

    def for_pupil(self, pupil_id, class_ids):
        """What one pupil has: their classes' and groups' offered items."""
        group_ids = Group.members.through.objects.filter(user_id=pupil_id, group__year__is_current=True).values(
            "group_id"
        )
        return self.assigned_to(class_ids, group_ids)

    def mine(self, user, child_id=None):
        """The 'Mes ressources' list: a pupil's own, or one child's for a parent."""
        roles = _roles(user)
        if roles is None:
            return self.none()
        if child_id is not None:
            if child_id not in roles.child_ids:
                return self.none()
            return self.for_pupil(child_id, roles.child_class_ids.get(child_id, frozenset()))
        if roles.is_pupil:
            return self.assigned_to(roles.pupil_class_ids, roles.pupil_group_ids)
        return self.none()

    def catalogue_for(self, user):
        """The school catalogue for adults who work there."""
        roles = _roles(user)
        if roles is None:
            return self.none()
        approver = approver_school_ids(user)
        q = Q(school_id__in=approver)
        colleagues = (roles.teacher_school_ids | roles.staff_school_ids()) - approver
        if colleagues:
            q |= Q(school_id__in=colleagues) & _offered_q()
        q |= Q(created_by_id=roles.user_id, school_id__in=roles.teacher_school_ids)
        return self.filter(q)

    def visible_to(self, user):
        roles = _roles(user)
        if roles is None:
            return self.none()
        q = Q(id__in=self.model.objects.catalogue_for(user).values("id"))
        family_classes = roles.pupil_class_ids | {c for ids in roles.child_class_ids.values() for c in ids}
        if family_classes:
            pupil_ids = set(roles.child_ids) | ({roles.user_id} if roles.is_pupil else set())
            groups = Group.members.through.objects.filter(user_id__in=pupil_ids, group__year__is_current=True)
            q |= Q(id__in=self.model.objects.assigned_to(family_classes, groups.values("group_id")).values("id"))
        return self.filter(q)


class FleetQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = _roles(user)
        if roles is None:
            return self.none()
        q = Q(school_id__in=fleet_school_ids(user))
        if roles.admin_territory_ids:
            q |= Q(school__territory_id__in=roles.admin_territory_ids)
        return self.filter(q)


def access_item(user, item_id, *, for_write=False):
    """for_write: change the item (new version, edit): its approvers, or its author
    while it is not approved."""
    from media.models import Item

    item_id = _int_id(item_id)
    item = Item.objects.select_related("school", "current_version").filter(id=item_id).first()
    if item is None:
        raise Http404
    if not may_see(user, item):
        raise Http404
    if for_write and not can_edit_item(user, item):
        raise Http404
    return item


def may_see(user, item) -> bool:
    """The rules of ItemQuerySet.visible_to for one item already loaded: at most
    one small query (download links are checked on every click)."""
    roles = _roles(user)
    if roles is None:
        return False
    if item.school_id in approver_school_ids(user):
        return True
    if item.created_by_id == roles.user_id and item.school_id in roles.teacher_school_ids:
        return True
    if not item.is_offered:
        return False
    if item.school_id in (roles.teacher_school_ids | roles.staff_school_ids()):
        return True
    family_classes = roles.pupil_class_ids | {c for ids in roles.child_class_ids.values() for c in ids}
    if not family_classes:
        return False
    pupil_ids = set(roles.child_ids) | ({roles.user_id} if roles.is_pupil else set())
    return item.assignments.filter(
        Q(school_class_id__in=family_classes) | Q(group__members__id__in=pupil_ids, group__year__is_current=True)
    ).exists()


def can_edit_item(user, item) -> bool:
    if can_approve(user, item.school_id):
        return True
    return item.created_by_id == user.id and item.school_id in proposer_school_ids(user)


def access_item_for_review(user, item_id):
    from media.models import Item

    item_id = _int_id(item_id)
    item = Item.objects.select_related("school").filter(id=item_id, school_id__in=approver_school_ids(user)).first()
    if item is None:
        raise Http404
    return item


def access_version(user, version_id, *, for_write=False):
    from media.models import Version

    version_id = _int_id(version_id)
    version = Version.objects.select_related("item").filter(id=version_id).first()
    if version is None:
        raise Http404
    access_item(user, version.item_id, for_write=for_write)
    return version


def access_download(user, item_id, version_id=None):
    """The item and the version a person may download. Families get only the
    approved version; the authors and approvers may fetch any clean version."""
    from media.models import Version

    item = access_item(user, item_id)
    if version_id is None:
        if item.current_version is None:
            raise Http404
        return item, item.current_version
    if not can_edit_item(user, item):
        raise Http404
    version = Version.objects.filter(id=_int_id(version_id), item=item, scan=Version.Scan.CLEAN).first()
    if version is None:
        raise Http404
    return item, version


def access_school_for_proposal(user, school_id):
    from ent.directory.models import School

    school_id = _int_id(school_id)
    if school_id not in proposer_school_ids(user):
        raise Http404
    return School.objects.get(id=school_id)


def access_fleet(user, fleet_id):
    from media.models import Fleet

    fleet = Fleet.objects.visible_to(user).select_related("school").filter(id=_int_id(fleet_id)).first()
    if fleet is None:
        raise Http404
    return fleet


def access_tablet(user, tablet_id):
    from media.models import Tablet

    tablet = Tablet.objects.select_related("fleet").filter(id=_int_id(tablet_id)).first()
    if tablet is None:
        raise Http404
    access_fleet(user, tablet.fleet_id)
    return tablet


def tablet_for_token(token: str):
    """The live tablet holding this device token, or None (wrong or revoked)."""
    from media.models import Tablet, hash_token

    if not token or len(token) > 200:
        return None
    return Tablet.objects.select_related("fleet").filter(token_hash=hash_token(token), revoked_at__isnull=True).first()

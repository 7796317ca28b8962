"""Who may see and change resources, fleets and tablets: the one place.

- a teacher proposes resources for the schools they teach in, and sees that
  school's approved catalogue plus their own proposals;
- the school's référent numérique or direction approves, rejects, withdraws,
  assigns, and runs the tablet fleets; they see everything of their school;
- a pupil sees only offered (approved, clean) items assigned to their classes or
  groups; a parent the same for each of their children;
- anything else, including another school, is a 404.

Single objects come from the `access_<thing>()` functions below: 404 when the
object is missing or not the person's to see, 403 (PermissionDenied) when they
see it but may not do what they asked (read-only). Lists come from the
QuerySets' `visible_to()` (or the narrower lists below, built on the same rules).

The QuerySets live next to their models (media/models.py) and follow the same
rules (APPROVER_ROLES is defined there, for both).
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from ent import storage
from ent.directory.roles import roles_of
from ent.files import ScanState
from ent.ids import int_id
from media import fdroid
from media.models import APPROVER_ROLES, Fleet, Illustration, Item, Tablet, UploadTicket, Version, hash_token


def _one_or_404(queryset, object_id):
    """The row with this id, or 404 (also for anything that is not an id)."""
    pk = int_id(object_id)
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise Http404
    return found


def approver_school_ids(user) -> frozenset:
    roles = roles_of(user)
    return roles.staff_school_ids(*APPROVER_ROLES) if roles else frozenset()


def proposer_school_ids(user) -> frozenset:
    """Schools where the person may propose a resource."""
    roles = roles_of(user)
    if roles is None:
        return frozenset()
    return roles.teacher_school_ids | roles.staff_school_ids(*APPROVER_ROLES)


def fleet_school_ids(user) -> frozenset:
    return approver_school_ids(user)


def can_approve(user, school_id) -> bool:
    return school_id in approver_school_ids(user)


# Lists -----------------------------------------------------------------------------


def resources_of(user, child=None):
    """'Mes ressources': a pupil's own, or the chosen child's for a parent."""
    return Item.objects.mine(user, child_id=child.id if child else None)


def proposals_of(user):
    """A teacher's own proposals (none for anyone who teaches nowhere)."""
    roles = roles_of(user)
    if roles is None or not roles.teacher_school_ids:
        return Item.objects.none()
    return Item.objects.filter(created_by_id=roles.user_id)


def access_catalogue(user):
    """The school catalogue, for adults who work in a school; 404 for the others."""
    roles = roles_of(user)
    if roles is None:
        raise Http404
    if not (proposer_school_ids(user) or roles.staff):
        raise Http404
    return Item.objects.catalogue_for(user)


def access_proposal_schools(user) -> frozenset:
    """The schools the person may propose a resource for; 404 if there are none."""
    school_ids = proposer_school_ids(user)
    if not school_ids:
        raise Http404
    return school_ids


def sees_fleets(user) -> bool:
    """Whether the fleets page is theirs: the schools' approvers and the territory admins."""
    roles = roles_of(user)
    return roles is not None and bool(fleet_school_ids(user) or roles.admin_territory_ids)


def access_fleet_schools(user, *, for_write=False) -> frozenset:
    """The schools whose fleets the person runs (the fleets page). The territory
    admins see the fleets but run none: 403 when they try to create one."""
    if not sees_fleets(user):
        raise Http404
    school_ids = fleet_school_ids(user)
    if for_write and not school_ids:
        raise PermissionDenied
    return school_ids


def shown_illustrations(item, *, editor: bool) -> list:
    """Icons and screenshots on the item's page: clean ones, and for its editors
    also those still being scanned (so they see what they sent)."""

    return [i for i in item.illustrations.all() if i.scan == ScanState.OFFERED or editor]


# Items and versions ----------------------------------------------------------


def access_item(user, item_id, *, for_write=False):
    """The item, if the person sees it (else 404). for_write: change it (new
    version, images, delete a version): its approvers, or its author; someone who
    sees it but may not change it gets 403."""
    item = _one_or_404(Item.objects.select_related("school", "current_version"), item_id)
    if not may_see(user, item):
        raise Http404
    if for_write and not can_edit_item(user, item):
        raise PermissionDenied
    return item


def may_see(user, item) -> bool:
    """The rules of ItemQuerySet.visible_to for one item already loaded: at most
    one small query (download links are checked on every click)."""
    roles = roles_of(user)
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


def can_delete_item(user, item) -> bool:
    """Its editors may delete it, except an approved one: that is its approvers'
    decision (pupils and tablets have it)."""
    if not can_edit_item(user, item):
        return False
    if item.status == Item.Status.APPROVED and not can_approve(user, item.school_id):
        return False
    return True


def access_item_for_review(user, item_id):
    """An item to approve, reject, withdraw or assign: visible (else 404), and the
    person approves for its school (else 403)."""
    item = access_item(user, item_id)
    if not can_approve(user, item.school_id):
        raise PermissionDenied
    return item


def access_item_for_delete(user, item_id):
    item = access_item(user, item_id)
    if not can_delete_item(user, item):
        raise PermissionDenied
    return item


def access_file_item(user, item_id):
    """An item that takes files (not a link) whose versions the person may add:
    the direct upload of a new version."""
    item = access_item(user, item_id, for_write=True)
    if not item.has_file:
        raise PermissionDenied
    return item


def access_version(user, version_id, *, for_write=False):
    version = _one_or_404(Version.objects.select_related("item"), version_id)
    access_item(user, version.item_id, for_write=for_write)
    return version


def access_version_of(item, version_id):
    """The version of this item a review names (None when none is named); 404 for
    one of another item."""
    if not version_id:
        return None
    return _one_or_404(Version.objects.filter(item=item), version_id)


def access_download(user, item_id, version_id=None):
    """The item and the version a person may download. Families get only the
    approved version; the authors and approvers may name any version of the item
    (one not offered gets the file gate's "held" or "infected" page, never a link)."""
    item = access_item(user, item_id)
    if version_id is None:
        if item.current_version is None:
            raise Http404
        return item, _stored(item.current_version)
    if not can_edit_item(user, item):
        raise Http404
    version = _one_or_404(Version.objects.filter(item=item), version_id)
    return item, _stored(version)


def _stored(version):
    """An offered version whose file is not stored (yet) has nothing to serve:
    404. A held or infected one is returned: the caller shows the file gate's
    page saying why (403, no link)."""
    if version.is_offered and not version.key:
        raise Http404
    return version


def access_openable(user, item_id):
    """An item to open: a web link's address may be followed by whoever sees the
    item once it is offered, before that only by its editors (to check it); a
    file's version is then chosen by access_download."""
    item = access_item(user, item_id)
    if item.kind == Item.Kind.LINK and not item.is_offered and not can_edit_item(user, item):
        raise Http404
    return item


def access_illustration(user, illustration_id):
    """An icon or screenshot: whoever sees the item, once the image is clean."""
    picture = _one_or_404(Illustration.objects.filter(scan=ScanState.OFFERED).exclude(key=""), illustration_id)
    access_item(user, picture.item_id)
    return picture


def access_upload_ticket(user, ticket_id):
    """A direct upload's ticket: only the person who started it."""
    return _one_or_404(UploadTicket.objects.filter(created_by_id=user.id), ticket_id)


def access_school_for_proposal(user, school_id):
    from ent.directory.models import School

    school_id = int_id(school_id)
    if school_id is None or school_id not in proposer_school_ids(user):
        raise Http404
    return School.objects.get(id=school_id)


# Fleets and tablets ----------------------------------------------------------


def can_manage_fleet(user, fleet) -> bool:
    """Enrol and revoke tablets, choose apps, publish the repository: the fleet's
    school's approvers (territory admins only look)."""
    return fleet.school_id in fleet_school_ids(user)


def access_fleet(user, fleet_id, *, for_write=False):
    fleet = _one_or_404(Fleet.objects.visible_to(user).select_related("school"), fleet_id)
    if for_write and not can_manage_fleet(user, fleet):
        raise PermissionDenied
    return fleet


def access_fleet_app(fleet, item_id):
    """An item on this fleet (to remove it); 404 for one that is not."""
    return _one_or_404(Item.objects.filter(fleet_items__fleet=fleet), item_id)


def access_tablet(user, tablet_id, *, for_write=False):
    tablet = _one_or_404(Tablet.objects.select_related("fleet"), tablet_id)
    access_fleet(user, tablet.fleet_id, for_write=for_write)
    return tablet


# An F-Droid index file is a few hundred KB; anything far bigger is not one.
FDROID_INDEX_MAX_BYTES = 20 * 1024 * 1024


# The tablets' own endpoints: a device token or the repository's secret, no person.


def tablet_for_token(token: str):
    """The live tablet holding this device token, or None (wrong or revoked)."""
    if not token or len(token) > 200:
        return None
    return Tablet.objects.select_related("fleet").filter(token_hash=hash_token(token), revoked_at__isnull=True).first()


def access_tablet_version(tablet, version_id):
    """An APK a tablet may download: the approved version of an app offered in
    its fleet; 404 otherwise (withdrawn, replaced, another fleet's)."""
    offered = Version.objects.filter(
        item__current_version_id=models.F("id"),
        item__status=Item.Status.APPROVED,
        item__fleet_items__fleet_id=tablet.fleet_id,
    ).exclude(key="")
    return _one_or_404(offered, version_id)


def access_fdroid_repo(secret: str, name: str):
    """The fleet whose published F-Droid repository holds the file `name`: the
    secret in the URL is the only credential. 404 for a wrong secret, a
    repository never built or a name that is not a file path of one."""
    fleet = Fleet.objects.filter(repo_secret=secret).first() if secret else None
    if fleet is None or fleet.repo_built_at is None:
        raise Http404
    if not fdroid.SAFE_PATH.match(name) or ".." in name:
        raise Http404
    return fleet


def access_fdroid_apk(fleet, name: str):
    """The APK a fleet's repository may serve under this name: the approved
    version of an app still offered in that fleet. Checked at every request, so a
    withdrawal or a rejection stops downloads at once, whatever the last build
    left in the index."""

    for link in fleet.offered_apps():
        version = link.item.current_version
        if version.key and fdroid.apk_name(version) == name:
            return version
    raise Http404


def access_fdroid_index(fleet, name: str):
    """An index file of the fleet's published build (entry.jar, index-v2.json,
    icons...): its object key and stat. 404 when nothing is published yet, the
    file is missing, or it is bigger than any index (never streamed)."""
    if not fleet.repo_build:
        raise Http404
    key = fdroid.build_key(fleet, fleet.repo_build, name)
    info = storage.stat(key)
    if info is None or info.size > FDROID_INDEX_MAX_BYTES:
        raise Http404
    return key, info


def open_fdroid_index(key: str):
    """The index file's bytes, as a stream to close; 404 when it went away since
    its stat (a newer build replaced it)."""
    stream = storage.get_stream(key)
    if stream is None:
        raise Http404
    return stream


def shown_child(user, wanted, *, children):
    """The child a guardian looks at: `wanted` (an id, from `?child=` or the
    header's choice) when it is one of theirs, else the first; None for anyone
    who is not a guardian. `children()` gives the guardian's children, first-name
    order (called only for a guardian)."""
    roles = roles_of(user)
    if roles is None or not roles.is_parent:
        return None
    wanted = int_id(wanted)
    kids = children()
    return next((c for c in kids if c.id == wanted), kids[0] if kids else None)

"""Resources and the tablet app store: catalogue items and their versions (files in
the object store), decisions, assignments to classes/groups, tablet fleets."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Group, School, SchoolClass, StaffRole, Subject
from ent.directory.roles import roles_of
from ent.files import Scanned, ScanState

# The school's staff who approve its resources and run its tablet fleets (the
# rules themselves are in media/access.py; the querysets below follow them).
APPROVER_ROLES = (StaffRole.Role.REFERENT, StaffRole.Role.DIRECTION)


def _offered_q(prefix=""):
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
        roles = roles_of(user)
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
        roles = roles_of(user)
        if roles is None:
            return self.none()
        approver = roles.staff_school_ids(*APPROVER_ROLES)
        q = Q(school_id__in=approver)
        colleagues = (roles.teacher_school_ids | roles.staff_school_ids()) - approver
        if colleagues:
            q |= Q(school_id__in=colleagues) & _offered_q()
        q |= Q(created_by_id=roles.user_id, school_id__in=roles.teacher_school_ids)
        return self.filter(q)

    def with_icons(self):
        """Each item's clean icon as `item.icons` (a list), for the lists' thumbnails."""
        icons = Illustration.objects.filter(role=Illustration.Role.ICON, scan=ScanState.OFFERED)
        return self.prefetch_related(Prefetch("illustrations", queryset=icons, to_attr="icons"))

    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(id__in=self.model.objects.catalogue_for(user).values("id"))
        family_classes = roles.pupil_class_ids | {c for ids in roles.child_class_ids.values() for c in ids}
        if family_classes:
            pupil_ids = set(roles.child_ids) | ({roles.user_id} if roles.is_pupil else set())
            groups = Group.members.through.objects.filter(user_id__in=pupil_ids, group__year__is_current=True)
            q |= Q(id__in=self.model.objects.assigned_to(family_classes, groups.values("group_id")).values("id"))
        return self.filter(q)


class Item(models.Model):
    class Kind(models.TextChoices):
        APK = "apk", _("Android app")
        LINK = "link", _("web app or link")
        DOCUMENT = "document", _("document")
        VIDEO = "video", _("video")
        AUDIO = "audio", _("audio")
        IMAGE = "image", _("image")

    class Status(models.TextChoices):
        # Waiting for a file to pass the scan, then for a decision.
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="media_items")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # Stored only after ent.sanitize.linkify_text: safe to show as is.
    description_html = models.TextField(_("description"), blank=True, default="")
    # The store's listing (F-Droid index): a one-line summary, and English texts
    # where the proposer gave them (French is the main language).
    summary = models.CharField(_("summary"), max_length=200, blank=True, default="")
    title_en = models.CharField(_("title in English"), max_length=200, blank=True, default="")
    summary_en = models.CharField(_("summary in English"), max_length=200, blank=True, default="")
    description_en_html = models.TextField(_("description in English"), blank=True, default="")
    subjects = models.ManyToManyField(Subject, blank=True, related_name="media_items", verbose_name=_("subjects"))
    levels = models.CharField(_("levels"), max_length=200, blank=True, default="")
    licence = models.CharField(_("licence"), max_length=200, blank=True, default="")
    url = models.URLField(_("address"), max_length=1000, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    # The version pupils and tablets get; None until one is approved.
    current_version = models.ForeignKey("Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self):
        return self.title

    @property
    def has_file(self):
        return self.kind != self.Kind.LINK

    @property
    def is_offered(self):
        if self.status != self.Status.APPROVED:
            return False
        return not self.has_file or self.current_version_id is not None

    def versions_for_review(self):
        """Every version with what its review shows (uploader, the other item of a signer clash)."""
        return self.versions.select_related("uploaded_by", "apk_other_item__school")

    def recent_decisions(self, limit=50):
        return self.decisions.select_related("decided_by")[:limit]


class ItemFile(Scanned):
    """What the file gate (ent.files.record_verdict) asks of a resource's file:
    its uploader is told of a threat, with the resource's title and page."""

    file_stamp_field = "created_at"

    class Meta:
        abstract = True

    def file_owner_id(self):
        return self.uploaded_by_id

    def file_title(self):
        return self.item.title

    def file_page_url(self):
        return reverse("media:item", args=[self.item_id])


class Version(ItemFile):
    """One file of an item. Its antivirus state is the file gate's (ent/files.py:
    held, offered, infected), as on every other upload surface; only an offered
    version may be reviewed, approved or downloaded."""

    class Review(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # Object key: made by us, never from the uploaded file name.
    key = models.CharField(max_length=300, blank=True, default="")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # APK review data, read at upload.
    apk_package = models.CharField(max_length=200, blank=True, default="")
    apk_version_name = models.CharField(max_length=100, blank=True, default="")
    apk_version_code = models.BigIntegerField(null=True, blank=True)
    apk_min_sdk = models.PositiveIntegerField(null=True, blank=True)
    apk_target_sdk = models.PositiveIntegerField(null=True, blank=True)
    # What the tablet grants (media.permissions): declared, <uses-permission-sdk-23>
    # and implied for the target SDK, maxSdkVersion applied. Sorted names.
    apk_permissions = models.JSONField(default=list, blank=True)
    # [{"name", "source", "max_sdk"}]: how each one came, for the review page.
    apk_permission_details = models.JSONField(default=list, blank=True)
    apk_label = models.CharField(max_length=200, blank=True, default="")
    apk_cert_sha256 = models.CharField(max_length=64, blank=True, default="")
    # fdroidserver finds the same signer (it cannot verify every valid JAR signature,
    # e.g. a chain signed with jarsigner's signed attributes): False keeps the app
    # off the tablets' repositories, where fdroidserver would silently skip it.
    apk_fdroid_readable = models.BooleanField(default=True)
    # What changed since the approved version, for the reviewer (and why it needs a decision).
    apk_new_permissions = models.JSONField(default=list, blank=True)
    apk_cert_changed = models.BooleanField(default=False)
    # Another item of the territory is approved for this package with another signer:
    # its certificate, shown next to this one. Only a recorded signer-change decision
    # lets this version through.
    apk_other_signer = models.CharField(max_length=64, blank=True, default="")
    apk_other_item = models.ForeignKey("Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="media_version_number_unique")]

    def __str__(self):
        return f"{self.item} v{self.number}"

    @property
    def needs_review(self):
        return self.review == self.Review.PENDING and self.is_offered


class Illustration(ItemFile):
    """An icon or a screenshot of an item: an image in the store, scanned like
    any file and shown only once clean."""

    class Role(models.TextChoices):
        ICON = "icon", _("icon")
        SCREENSHOT = "screenshot", _("screenshot")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="illustrations")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    key = models.CharField(max_length=300, blank=True, default="")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "id"]

    def __str__(self):
        return f"{self.item_id} {self.role}"


class Decision(models.Model):
    """Every decision on an item, kept: who, when, which version, why."""

    class Verdict(models.TextChoices):
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        # A new APK version with the same certificate and no new permission.
        AUTO_APPROVED = "auto_approved", _("approved automatically (same signer, no new permission)")
        # The référent accepted that this package now comes from another signer.
        SIGNER_CHANGE = "signer_change", _("signer change accepted")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="decisions")
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    version_number = models.PositiveIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.item_id} v{self.version_number}: {self.verdict}"


class Assignment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="media_assignments"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="media_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(school_class__isnull=False, group__isnull=True)
                | Q(school_class__isnull=True, group__isnull=False),
                name="media_assignment_class_xor_group",
            ),
            models.UniqueConstraint(fields=["item", "school_class"], name="media_assignment_class_unique"),
            models.UniqueConstraint(fields=["item", "group"], name="media_assignment_group_unique"),
        ]

    def __str__(self):
        return f"{self.item_id} → {self.school_class_id or self.group_id}"


class UploadTicket(models.Model):
    """A direct browser → object store upload under way. Its declared size counts
    against the quotas until it completes or expires."""

    key = models.CharField(max_length=300, unique=True)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The cleaned metadata of a new item, created when the file has arrived.
    metadata = models.JSONField(default=dict, blank=True)
    filename = models.CharField(max_length=200)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self):
        return self.key


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FleetQuerySet(models.QuerySet):
    def visible_to(self, user):
        roles = roles_of(user)
        if roles is None:
            return self.none()
        q = Q(school_id__in=roles.staff_school_ids(*APPROVER_ROLES))
        if roles.admin_territory_ids:
            q |= Q(school__territory_id__in=roles.admin_territory_ids)
        return self.filter(q)


class Fleet(models.Model):
    """A classe mobile: a set of tablets that get the same apps."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="fleets")
    name = models.CharField(_("name"), max_length=100)
    # Bumped by every change that alters the manifest: the ETag is derived from it,
    # so a poll that finds nothing new needs no manifest at all.
    revision = models.PositiveIntegerField(default=1)
    # Secret path segment of the fleet's F-Droid repository (the client sends no token).
    repo_secret = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    repo_fingerprint = models.CharField(max_length=64, blank=True, default="")
    repo_revision = models.PositiveIntegerField(default=0)
    repo_built_at = models.DateTimeField(null=True, blank=True)
    # The published build: tablets read fdroid/<fleet>/builds/<repo_build>/. A new
    # build goes to a fresh folder and this switches to it only once it verified.
    repo_build = models.CharField(max_length=64, blank=True, default="")
    # The last build attempt failed: tablets still get the previous build (out of
    # date), and the fleet page says why.
    repo_error = models.TextField(blank=True, default="")
    repo_failed_at = models.DateTimeField(null=True, blank=True)
    items = models.ManyToManyField(Item, through="FleetItem", related_name="fleets")
    created_at = models.DateTimeField(default=timezone.now)

    objects = FleetQuerySet.as_manager()

    class Meta:
        verbose_name = _("tablet fleet")
        verbose_name_plural = _("tablet fleets")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def etag(self):
        return f'"f{self.id}-r{self.revision}"'

    def app_links(self):
        """Every app put on the fleet, offered or not (the fleet's page)."""
        return self.fleet_items.select_related("item__current_version").order_by("item__title")

    def offered_apps(self):
        """What the fleet's tablets must have: offered Android apps, one query."""
        return (
            self.fleet_items.filter(item__status=Item.Status.APPROVED, item__current_version__isnull=False)
            .select_related("item__current_version")
            .order_by("item__title", "item_id")
        )


class FleetItem(models.Model):
    fleet = models.ForeignKey(Fleet, on_delete=models.CASCADE, related_name="fleet_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="fleet_items")
    mandatory = models.BooleanField(_("mandatory"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet", "item"], name="media_fleet_item_unique")]

    def __str__(self):
        return f"{self.fleet_id}: {self.item_id}"


class Tablet(models.Model):
    fleet = models.ForeignKey(Fleet, on_delete=models.CASCADE, related_name="tablets")
    label = models.CharField(_("label"), max_length=100)
    # Only the SHA-256 of the device token: a database leak gives no usable token.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["label", "id"]

    def __str__(self):
        return self.label

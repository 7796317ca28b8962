"""Federated sign-in: which external identity providers a territory trusts, how
their attributes map onto the directory, and the identities waiting for the
school office to link them.

The providers themselves are allauth SocialApps (client id, secret, metadata,
entity id live there); this app adds what allauth cannot know: the territory,
the profiles an IdP may sign in, and which asserted attribute means what."""

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.directory.models import School, Territory


class Profile(models.TextChoices):
    PUPIL = "pupil", _("pupil")
    PARENT = "parent", _("parent")
    STAFF = "staff", _("staff")


# ÉduConnect's attribute names (the national families' IdP); an académie IdP
# is usually configured with only `staff_id`. Every key is optional.
EDUCONNECT_ATTRIBUTES = {
    "profile": "FrEduCtPersonAffiliation",
    "profile_values": {"pupil": ["eleve", "ELEVE"], "parent": ["responsable", "RESPONSABLE"], "staff": []},
    "pupil_id": "FrEduCtEleveINE",
    "children_ids": "FrEduCtEleveINE",
    "last_name": "nom",
    "first_name": "prenom",
    "school_uai": "FrEduCtEleveUAI",
    "staff_id": "",
}


def default_attribute_map():
    return dict(EDUCONNECT_ATTRIBUTES)


class IdentityProviderQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).select_related("app", "territory")


class IdentityProvider(models.Model):
    class Audience(models.TextChoices):
        FAMILIES = "families", _("Parents and secondary-school pupils (ÉduConnect)")
        STAFF = "staff", _("National education staff (académie)")

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="identity_providers")
    app = models.OneToOneField(SocialApp, on_delete=models.CASCADE, related_name="ent_identity_provider")
    audience = models.CharField(_("shown to"), max_length=16, choices=Audience.choices)
    label = models.CharField(_("button label"), max_length=100, help_text="ÉduConnect, Académie de Besançon…")
    allows_pupils = models.BooleanField(_("pupils may use it"), default=False)
    allows_parents = models.BooleanField(_("parents may use it"), default=False)
    allows_staff = models.BooleanField(_("staff may use it"), default=False)
    attribute_map = models.JSONField(
        _("attribute mapping"),
        default=default_attribute_map,
        help_text=_(
            "Which asserted attribute holds what: profile, profile_values, pupil_id, children_ids, "
            "last_name, first_name, school_uai, staff_id."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    trusts_second_factor = models.BooleanField(
        _("trusted for the second factor"),
        default=False,
        help_text=_(
            "Staff who sign in through this IdP skip the ENT's own second factor when the IdP asserts one of "
            "the values below. Leave off unless the IdP really enforces a second factor."
        ),
    )
    second_factor_acr_values = models.JSONField(
        _("values that prove a second factor"),
        default=list,
        blank=True,
        help_text=_(
            "The SAML AuthnContextClassRef or OpenID acr values this IdP sends after a second factor, "
            'e.g. ["https://refeds.org/profile/mfa"].'
        ),
    )

    objects = IdentityProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        ordering = ["territory__name", "audience", "label"]

    def __str__(self):
        return f"{self.label} ({self.territory})"

    @property
    def allowed_profiles(self) -> frozenset:
        allowed = set()
        if self.allows_pupils:
            allowed.add(Profile.PUPIL)
        if self.allows_parents:
            allowed.add(Profile.PARENT)
        if self.allows_staff:
            allowed.add(Profile.STAFF)
        return frozenset(allowed)


class PendingLinkQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=PendingLink.Status.PENDING)

    def visible_to(self, user):
        """The queue of the school offices this person works in (direction,
        secretary, vie scolaire) and, for a territory admin, their territory's."""
        from ent.identity.access import office_filter

        q = office_filter(user)
        if q is None:
            return self.none()
        return self.filter(q)


class PendingLink(models.Model):
    """An external identity that matched nobody, or several people: nothing is
    linked until the school office picks the person."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to link")
        LINKED = "linked", _("linked")
        DISMISSED = "dismissed", _("dismissed")

    class Reason(models.TextChoices):
        NONE = "none", _("nobody matches")
        SEVERAL = "several", _("several people match")

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="pending_links")
    uid = models.CharField(max_length=255)
    profile = models.CharField(max_length=16, choices=Profile.choices)
    attributes = models.JSONField(default=dict)
    # The school whose office resolves it (from the asserted UAI or the
    # candidates); none: the territory's admins.
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    candidates = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PendingLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity to link")
        verbose_name_plural = _("identities to link")
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "uid"], condition=Q(status="pending"), name="pending_link_one_per_identity"
            )
        ]

    def __str__(self):
        return f"{self.provider.label}: {self.display_name}"

    @property
    def display_name(self):
        a = self.attributes.get("_names") or {}
        return " ".join(filter(None, [a.get("first_name"), a.get("last_name")])) or self.uid


class AppPolicy(models.Model):
    """What a territory approved for one of the school's other apps (an OpenID
    client of the ENT's provider): who may sign in to it, and whether it sees a
    pseudonymous subject (the default) or the ENT's account id."""

    client = models.OneToOneField("allauth_idp_oidc.Client", on_delete=models.CASCADE, related_name="ent_policy")
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="oidc_apps")
    allows_pupils = models.BooleanField(_("pupils may use it"), default=True)
    allows_parents = models.BooleanField(_("parents may use it"), default=True)
    allows_staff = models.BooleanField(_("staff may use it"), default=True)
    pairwise_subject = models.BooleanField(_("pseudonymous subject"), default=True)

    class Meta:
        verbose_name = _("app policy")
        verbose_name_plural = _("app policies")

    def __str__(self):
        return f"{self.client} ({self.territory})"

    def allows(self, user) -> bool:
        roles = user.roles
        in_territory = (self.territory_id in roles.admin_territory_ids) or School.objects.filter(
            id__in=roles.school_ids, territory_id=self.territory_id
        ).exists()
        if not in_territory:
            return False
        if roles.is_pupil and self.allows_pupils:
            return True
        if roles.is_parent and self.allows_parents:
            return True
        return bool((roles.is_staff or roles.is_teacher or roles.is_admin) and self.allows_staff)


class PairwiseSubject(models.Model):
    """The pseudonymous subject one app knows a person by, kept so that an
    id_token_hint (logout) can be traced back to the person."""

    client = models.ForeignKey("allauth_idp_oidc.Client", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sub = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "user"], name="pairwise_subject_one_per_app")]

    def __str__(self):
        return self.sub


class OidcSignIn(models.Model):
    """Which ENT session an OpenID IdP's sign-in opened: the IdP's
    back-channel logout names its session (`sid`) or the person (`sub`), never
    ours. A table rather than Redis keys: the look-up by `sub` and the end of
    the sessions happen in one transaction with the audit entry, and nothing
    has to be kept in step by hand. Rows of sessions ended otherwise are
    harmless (ending a gone session is a no-op) and pruned after the longest
    session lifetime (ent.identity.actions.do_record_oidc_sign_in)."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sub = models.CharField(max_length=255)
    sid = models.CharField(max_length=255, blank=True)
    session_key = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["provider", "sid"], name="oidc_signin_provider_sid"),
            models.Index(fields=["provider", "sub"], name="oidc_signin_provider_sub"),
        ]

    def __str__(self):
        return f"{self.provider_id}:{self.sub}"

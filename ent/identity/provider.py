"""The ENT as OpenID provider (allauth.idp.oidc) for the school's other apps.

What each scope releases (SECURITY.md says the same):
- openid: `sub`, a pseudonymous subject that differs per app (HMAC of the app
  and the person), unless the territory turned it off for that app;
- profile: name, given_name, family_name, preferred_username, ent_profile
  (pupil / parent / teacher / staff);
- email: the e-mail address the school has, if any (never verified by us);
- school: schools (UAI and name) and, for pupils and teachers, class names;
- children (parents only): each child's subject *for this app*, first and
  last name, school UAI and class;
- api: the ENT's API (/api/v1/, docs/api.md) as the person, reading only;
  api.write: with `api`, the API's changes too (send a message, tick work...).
  Neither releases a claim: they open the API to the access token.
"""

import base64
import hashlib
import hmac

from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Enrollment, School, TeachingAssignment, User

SCOPES = ("openid", "profile", "email", "school", "children", "offline_access", "api", "api.write")


def pairwise_sub(client_id: str, user_id: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"oidc-sub:{client_id}:{user_id}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:20]).decode().lower()


def policy_of(client):
    from ent.identity.models import AppPolicy

    return AppPolicy.objects.filter(client=client).first()


def ent_profile(user) -> str:
    roles = user.roles
    if roles.is_staff or roles.is_admin:
        return "staff"
    if roles.is_teacher:
        return "teacher"
    if roles.is_pupil:
        return "pupil"
    if roles.is_parent:
        return "parent"
    return ""


class OIDCAdapter(DefaultOIDCAdapter):
    scope_display = {
        **DefaultOIDCAdapter.scope_display,
        "school": _("Your school and classes"),
        "children": _("Your children's names, schools and classes"),
        "api": _("Read what you see in the ENT, as you"),
        "api.write": _("Act in the ENT as you: send messages, tick work, declare absences"),
    }

    def get_user_sub(self, client, user):
        policy = policy_of(client)
        if policy is not None and not policy.pairwise_subject:
            return str(user.pk)
        from ent.identity.actions import do_remember_subject

        return do_remember_subject(client, user, pairwise_sub(client.id, user.pk))

    def get_user_by_sub(self, client, sub):
        from ent.identity.models import PairwiseSubject

        policy = policy_of(client)
        if policy is not None and not policy.pairwise_subject:
            return super().get_user_by_sub(client, sub)
        row = PairwiseSubject.objects.filter(client=client, sub=sub).select_related("user").first()
        if row is None or not row.user.is_active:
            return None
        return row.user

    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        scopes = set(scopes)
        claims = {"sub": self.get_user_sub(client, user)}
        if "profile" in scopes:
            claims.update(
                {
                    "name": user.get_full_name(),
                    "given_name": user.first_name,
                    "family_name": user.last_name,
                    "preferred_username": user.username,
                    "ent_profile": ent_profile(user),
                }
            )
        if "email" in scopes and user.email:
            claims.update({"email": user.email, "email_verified": False})
        if "school" in scopes:
            claims.update(self._school_claims(user))
        if "children" in scopes and user.roles.is_parent:
            claims["children"] = self._children(client, user)
        return claims

    def _school_claims(self, user):
        roles = user.roles
        schools = School.objects.filter(id__in=roles.school_ids).order_by("uai")
        classes = set()
        if roles.is_pupil:
            classes |= set(Enrollment.objects.current().filter(pupil=user).values_list("school_class__name", flat=True))
        if roles.is_teacher:
            classes |= set(
                TeachingAssignment.objects.filter(teacher=user, school_class__year__is_current=True).values_list(
                    "school_class__name", flat=True
                )
            )
        return {
            "schools": [{"uai": s.uai, "name": s.name} for s in schools],
            "classes": sorted(c for c in classes if c),
        }

    def _children(self, client, user):
        children = User.objects.filter(id__in=user.roles.child_ids).order_by("first_name")
        current = {
            e.pupil_id: e
            for e in Enrollment.objects.current().filter(pupil__in=children).select_related("school_class__school")
        }
        out = []
        for child in children:
            enrolment = current.get(child.id)
            out.append(
                {
                    "sub": self.get_user_sub(client, child),
                    "given_name": child.first_name,
                    "family_name": child.last_name,
                    "school_uai": enrolment.school_class.school.uai if enrolment else None,
                    "class": enrolment.school_class.name if enrolment else None,
                }
            )
        return out

    def populate_server_metadata(self, data):
        data["scopes_supported"] = list(SCOPES)
        data["claims_supported"] = [
            "sub", "name", "given_name", "family_name", "preferred_username", "ent_profile",
            "email", "email_verified", "schools", "classes", "children",
        ]  # fmt: skip

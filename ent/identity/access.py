"""Who may resolve identities waiting to be linked: the offices of the school
they belong to (direction, secretary, vie scolaire, as for the rest of the
directory) and the territory's admins for those no school could be found for.
Everyone else gets 404, whatever the id."""

from allauth.socialaccount.models import SocialAccount
from django.db.models import Q
from django.http import Http404

from ent.directory.access import DIRECTORY_MANAGERS
from ent.ids import int_id_or_404


def office_filter(user):
    """The Q over PendingLink this person may see, or None."""
    if not user.is_authenticated:
        return None
    roles = user.roles
    schools = roles.staff_school_ids(*DIRECTORY_MANAGERS)
    territories = roles.admin_territory_ids
    if not schools and not territories:
        return None
    q = Q(school_id__in=schools)
    if territories:
        q |= Q(provider__territory_id__in=territories)
    return q


def may_see_queue(user) -> bool:
    return office_filter(user) is not None


def access_queue(user):
    """The identities waiting to be linked that this office resolves; 404 for
    anyone who is no such office."""
    from ent.identity.models import PendingLink

    if not may_see_queue(user):
        raise Http404
    return PendingLink.objects.visible_to(user).waiting()


def access_pending_link(user, link_id):
    from ent.identity.models import PendingLink

    link_id = int_id_or_404(link_id)
    link = (
        PendingLink.objects.visible_to(user)
        .select_related("provider__app", "provider__territory", "school")
        .filter(id=link_id)
        .first()
    )
    if link is None:
        raise Http404
    return link


def _managed_people(user):
    from ent.directory.access import managed_schools, people_of_school

    return people_of_school(managed_schools(user))


def check_linkable_person(user, link, person_id):
    """The person the office picked for a queued identity: one of the
    candidates, or someone the office manages in the provider's territory.
    404 otherwise."""
    person_id = int_id_or_404(person_id)
    person = link.candidates.filter(id=person_id).first()
    if person is None:
        person = _managed_people(user).filter(id=person_id).first()
    if person is None:
        raise Http404
    return person


def linked_accounts_visible_to(user):
    """External identities linked to the people this office manages."""
    return SocialAccount.objects.filter(user__in=_managed_people(user).values("id"))


def access_external_link(user, account_id) -> SocialAccount:
    """A person's link to an external identity, for the offices that manage
    one of that person's schools."""
    account_id = int_id_or_404(account_id)
    account = linked_accounts_visible_to(user).select_related("user").filter(id=account_id).first()
    if account is None:
        raise Http404
    return account


def app_refused(user, client_id) -> bool:
    """True when a signed-in person asks the ENT's OpenID provider for an app
    (allauth's Client) that the territory's rule does not open to them. An
    unknown app or an anonymous visitor is left to allauth's own answer."""
    from allauth.idp.oidc.models import Client

    from ent.identity.provider import policy_of

    if not (getattr(user, "is_authenticated", False) and client_id):
        return False
    client = Client.objects.filter(id=client_id).first()
    if client is None:
        return False
    policy = policy_of(client)
    return policy is None or not policy.allows(user)


def access_oidc_idp(slug: str):
    """The OpenID IdP whose allauth app is `slug` (the id in its callback URL),
    for its back-channel logout, or 404. No person here: the IdP proves itself
    with the token's signature (ent.identity.backchannel)."""
    from ent.identity.models import IdentityProvider

    idp = (
        IdentityProvider.objects.select_related("app")
        .filter(app__provider="openid_connect", app__provider_id=slug)
        .first()
    )
    if idp is None:
        raise Http404
    return idp

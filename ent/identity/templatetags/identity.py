from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from ent.identity.models import IdentityProvider

register = template.Library()

PROMPTS = {
    IdentityProvider.Audience.FAMILIES: lambda: _("I am a parent or a secondary-school pupil"),
    IdentityProvider.Audience.STAFF: lambda: _("I work for the Éducation nationale"),
}


@register.simple_tag
def identity_choices():
    """One plain button per active IdP, worded by who it is for."""
    choices = []
    for idp in IdentityProvider.objects.active():
        app = idp.app
        if app.provider == "saml":
            # allauth names a SAML app by its organization slug (client_id).
            url = reverse("saml_login", kwargs={"organization_slug": app.client_id})
        else:
            url = reverse(f"{app.provider}_login", kwargs={"provider_id": app.provider_id})
        choices.append({"idp": idp, "url": url, "prompt": PROMPTS[idp.audience]()})
    return choices

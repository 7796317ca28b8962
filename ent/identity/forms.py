from django import forms
from django.utils.translation import gettext_lazy as _


class LinkForm(forms.Form):
    """The person a queued identity belongs to: one of the candidates shown,
    or anybody else of the school by username."""

    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    username = forms.CharField(label=_("or another person's username"), required=False, max_length=150)

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("username") or "").strip():
            raise forms.ValidationError(_("Choose the person this identity belongs to."))
        return data

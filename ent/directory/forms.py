from django import forms
from django.utils.translation import gettext_lazy as _


class ActivationForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        help_text=_("The code printed on the letter from the school, for example ABCD-EF23."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )


class ChildSelectForm(forms.Form):
    child = forms.IntegerField(widget=forms.HiddenInput)


class DateInput(forms.DateInput):
    # The phone's own date picker, no JavaScript of ours.
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ClosedDayForm(forms.Form):
    date = forms.DateField(label=_("First day closed"), widget=DateInput())
    end_date = forms.DateField(
        label=_("Last day closed (if several days)"),
        required=False,
        help_text=_("Leave empty for a single day."),
        widget=DateInput(),
    )
    label = forms.CharField(
        label=_("Why (the families will read it)"),
        max_length=100,
        help_text=_("For example: pont de l’Ascension, journée pédagogique."),
    )

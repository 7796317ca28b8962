from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class WeekForm(forms.Form):
    """Which week to show: any day of it (blank: this week)."""

    semaine = forms.DateField(label=_("Week of"), widget=DateInput(), required=False)

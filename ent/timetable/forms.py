from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class WeekForm(forms.Form):
    """Which week to show: any day of it (blank: this week)."""

    semaine = forms.DateField(label=_("Week of"), widget=DateInput(), required=False)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Timetable file"),
        help_text=_("The STS-web export (sts_emp_UAI_année.xml) or a CSV file."),
    )


class ApplyForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)


class WeekKindForm(forms.Form):
    """A Monday of the year and the kind it starts (blank: follow the
    alternation again). Whether it is a Monday of the year: the action."""

    monday = forms.DateField(label=_("Monday"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("Week"),
        choices=[("", _("follows the alternation")), ("A", _("week A")), ("B", _("week B"))],
        required=False,
    )


class ChangeForm(forms.Form):
    """One form for every kind of change; the action says which fields each
    kind needs (and refuses the rest with a reason)."""

    kind = forms.ChoiceField(label=_("Change"))
    slot = forms.ModelChoiceField(label=_("Lesson"), queryset=None, required=False)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    teacher = forms.ModelChoiceField(label=_("Teacher (replacement or extra lesson)"), queryset=None, required=False)
    room = forms.CharField(label=_("Room"), max_length=40, required=False)
    new_date = forms.DateField(label=_("New date (moved lesson)"), widget=DateInput(), required=False)
    starts_at = forms.TimeField(label=_("Start (moved or extra lesson)"), widget=TimeInput(), required=False)
    ends_at = forms.TimeField(label=_("End (moved or extra lesson)"), widget=TimeInput(), required=False)
    school_class = forms.ModelChoiceField(label=_("Class (extra lesson)"), queryset=None, required=False)
    subject = forms.ModelChoiceField(label=_("Subject (extra lesson)"), queryset=None, required=False)
    note = forms.CharField(label=_("Note for families"), max_length=200, required=False)

    def __init__(self, *args, slots, teachers, classes, subjects, **kwargs):
        from ent.timetable.models import Change

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Change.Kind.choices
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = _slot_label
        self.fields["teacher"].queryset = teachers
        self.fields["school_class"].queryset = classes
        self.fields["subject"].queryset = subjects


def _slot_label(slot):
    day = WEEKDAYS[slot.weekday]
    target = slot.school_class or slot.group
    subject = f" · {slot.subject.name}" if slot.subject else ""
    weeks = f" ({slot.get_weeks_display()})" if slot.weeks != "all" else ""
    return f"{day} {slot.starts_at:%H:%M} · {target.name}{subject}{weeks}"

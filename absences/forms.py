import copy
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from absences import calendar, pending
from absences.actions.common import check_in_school_year, notice_bounds
from absences.actions.notices import check_document
from absences.models import AbsenceEvent, HalfDay, Reason
from ent.directory.models import User
from ent.errors import AbsenceError, FileRefused


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def _target_choices(classes, groups):
    choices = [(f"c{c.id}", c.name) for c in classes]
    choices += [(f"g{g.id}", _("%(name)s (group)") % {"name": g.name}) for g in groups]
    return choices


class TargetField(forms.ChoiceField):
    """A class ("c12") or a group ("g3") among the ones offered."""

    def __init__(self, classes, groups, **kwargs):
        self.by_key = {f"c{c.id}": c for c in classes} | {f"g{g.id}": g for g in groups}
        super().__init__(choices=_target_choices(classes, groups), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.by_key.get(value) if value else None


class RegisterOpenForm(forms.Form):
    target = None  # set in __init__
    date = forms.DateField(label=_("Date"), widget=DateInput())
    half_day = forms.ChoiceField(
        label=_("Half-day (primary schools)"), choices=HalfDay.choices, widget=forms.RadioSelect, required=False
    )
    starts_at = forms.TimeField(label=_("Lesson start"), widget=TimeInput(), required=False)
    ends_at = forms.TimeField(label=_("Lesson end"), widget=TimeInput(), required=False)

    def __init__(self, *args, classes, groups, **kwargs):
        now = timezone.localtime()
        kwargs.setdefault(
            "initial",
            {
                "date": now.date(),
                "half_day": HalfDay.MORNING if now.hour < 12 else HalfDay.AFTERNOON,
                "starts_at": now.replace(minute=0, second=0, microsecond=0).time(),
                "ends_at": (now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=55)).time(),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields = {"target": TargetField(classes, groups, label=_("Class or group")), **self.fields}
        self.show_half_day = any(t.school.is_primary for t in self.fields["target"].by_key.values())
        self.show_times = any(not t.school.is_primary for t in self.fields["target"].by_key.values())

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target is None:
            return data
        if target.school.is_primary:
            if not data.get("half_day"):
                self.add_error("half_day", _("Choose the morning or the afternoon."))
        else:
            start, end = data.get("starts_at"), data.get("ends_at")
            if start is None or end is None:
                self.add_error("starts_at", _("Give the lesson's start and end times."))
            elif end <= start:
                self.add_error("ends_at", _("The end must be after the start."))
        return data


class RegisterForm(forms.Form):
    """One radio group per pupil (present by default) and a minutes box: a plain
    HTML form that works without JavaScript and by keyboard. The page shows the
    radios as one compact row of four buttons per pupil; absences/register.js
    only adds the shortcuts and the live count."""

    STATUS_CHOICES = [
        ("present", _("present")),
        (AbsenceEvent.Kind.ABSENCE, _("absent")),
        (AbsenceEvent.Kind.LATE, _("late")),
        (AbsenceEvent.Kind.LEFT_EARLY, _("left early")),
    ]
    # The letter on each button, which is also its key (P présent, A absent,
    # R retard, D départ avant la fin): the same in both languages, so a
    # teacher's fingers need not change with the page's language.
    KEYS = {
        "present": "P",
        AbsenceEvent.Kind.ABSENCE: "A",
        AbsenceEvent.Kind.LATE: "R",
        AbsenceEvent.Kind.LEFT_EARLY: "D",
    }

    def __init__(self, *args, pupils, events, premarked=frozenset(), **kwargs):
        """`premarked`: pupils shown absent until the register is first saved
        (an absence their family announced)."""
        super().__init__(*args, **kwargs)
        self.pupils = pupils
        # Two fields per pupil, copied from one pair: building 60 Django fields
        # (choices normalised, validators made) was ~2 ms of every register save.
        # A shallow copy shares the widget and validators, which nothing here
        # changes per pupil (the rows' template writes the inputs itself).
        status = forms.ChoiceField(
            choices=self.STATUS_CHOICES,
            widget=forms.RadioSelect,
            # A pupil left out of the post is present, as on paper.
            required=False,
        )
        minutes_field = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=300, required=False)
        for pupil in pupils:
            event = events.get(pupil.id)
            field = copy.copy(status)
            field.label = f"{pupil.last_name} {pupil.first_name}"
            if event is not None:
                field.initial = event.kind
            else:
                field.initial = AbsenceEvent.Kind.ABSENCE if pupil.id in premarked else "present"
            self.fields[f"s{pupil.id}"] = field
            field = copy.copy(minutes_field)
            field.initial = event.minutes if event else None
            self.fields[f"m{pupil.id}"] = field

    def rows(self):
        for pupil in self.pupils:
            yield pupil, self[f"s{pupil.id}"], self[f"m{pupil.id}"]

    def choices(self):
        """(value, label, key letter) of the four buttons of a row."""
        return [(value, label, self.KEYS[value]) for value, label in self.STATUS_CHOICES]

    def table(self, announced=frozenset(), photos=frozenset()):
        """The pupils' rows (number, name, photo, mark, minutes, errors) as plain
        values for absences/_register_rows.html, which writes the inputs and
        escapes every value. Django's widget rendering of the inputs took
        ~1.5 ms per pupil."""
        errors = self.errors if self.is_bound else {}
        rows = []
        for number, (pupil, status, minutes) in enumerate(self.rows(), start=1):
            value = minutes.value()
            rows.append(
                {
                    "number": number,
                    "pupil": pupil,
                    "current": str(status.value() or "present"),
                    "minutes": "" if value in (None, "") else value,
                    "errors": [*errors.get(status.name, []), *errors.get(minutes.name, [])],
                    "announced": pupil.id in announced,
                    "photo": pupil.id in photos,
                }
            )
        return rows

    def clean(self):
        data = super().clean()
        for pupil in self.pupils:
            if data.get(f"s{pupil.id}") == AbsenceEvent.Kind.LATE and not data.get(f"m{pupil.id}"):
                self.add_error(f"m{pupil.id}", _("How many minutes late?"))
        return data

    def marks(self):
        out = {}
        for pupil in self.pupils:
            status = self.cleaned_data.get(f"s{pupil.id}")
            if status and status != "present":
                # Minutes are asked for lateness only: the box of another mark may
                # still carry a number typed before the mark was changed.
                minutes = self.cleaned_data.get(f"m{pupil.id}") if status == AbsenceEvent.Kind.LATE else None
                out[pupil.id] = (status, minutes)
        return out


def register_counts(rows) -> dict:
    """How many pupils carry each mark, for the count above the list."""
    counts = {value: 0 for value, _label in RegisterForm.STATUS_CHOICES}
    for row in rows:
        counts[row["current"]] = counts.get(row["current"], 0) + 1
    return counts


def register_summary(pupils, events) -> dict:
    """Who is marked what, by name (what the teacher checks after saving):
    {"absence": [(pupil, event)], "late": [...], "left_early": [...]}."""
    summary = {kind: [] for kind in (AbsenceEvent.Kind.ABSENCE, AbsenceEvent.Kind.LATE, AbsenceEvent.Kind.LEFT_EARLY)}
    for pupil in pupils:
        event = events.get(pupil.id)
        if event is not None and event.kind in summary:
            summary[event.kind].append((pupil, event))
    return summary


class ReasonChoiceField(forms.ModelChoiceField):
    """The reasons, each saying whether it needs a document: a parent learns
    it on choosing, without JavaScript, not after sending."""

    def label_from_instance(self, obj):
        if obj.needs_proof:
            return _("%(reason)s — document requested") % {"reason": obj.label}
        return obj.label


class NoticeForm(forms.Form):
    KEEP, REPLACE, DROP = "keep", "replace", "drop"

    start_date = forms.DateField(label=_("First day of absence"), widget=DateInput())
    start_half_day = forms.ChoiceField(
        label=_("From"), choices=HalfDay.choices, initial=HalfDay.MORNING, widget=forms.RadioSelect
    )
    start_time = forms.TimeField(label=_("Or from a precise time (optional)"), required=False, widget=TimeInput())
    end_date = forms.DateField(label=_("Last day of absence"), widget=DateInput())
    end_half_day = forms.ChoiceField(
        label=_("Until the end of the"), choices=HalfDay.choices, initial=HalfDay.AFTERNOON, widget=forms.RadioSelect
    )
    end_time = forms.TimeField(label=_("Or until a precise time (optional)"), required=False, widget=TimeInput())
    # No reason preselected: a hurried parent must not declare an illness
    # without having chosen it.
    reason = ReasonChoiceField(
        label=_("Reason"),
        queryset=Reason.objects.none(),
        empty_label=_("— Choose the reason —"),
        error_messages={"required": _("Choose the reason of the absence.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_(
            "Needed for the reasons marked “document requested”, optional for the others. "
            "A medical note for example: PDF, JPEG or PNG, 5 MB at most."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    # A document kept from a previous try of this form (absences/pending.py).
    pending_document = forms.CharField(required=False, widget=forms.HiddenInput)
    pending_choice = forms.ChoiceField(
        label=_("The document already attached"),
        choices=[
            (KEEP, _("Keep it")),
            (REPLACE, _("Replace it with the file chosen below")),
            (DROP, _("Send no document")),
        ],
        initial=KEEP,
        required=False,
        widget=forms.RadioSelect,
    )
    # "start/end" of the dates the parent confirmed despite the warning: a
    # confirmation is for those dates only, not for dates changed afterwards.
    confirm_dates = forms.CharField(required=False)

    def __init__(self, *args, reasons, user=None, pupil=None, year=None, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The pupil's school: its zone's holidays and its own closed days.
        self.school = school
        self.fields["reason"].queryset = reasons
        # The pupil's school year: dates outside it are refused here, before a
        # warning about days without school could hide that.
        self.year = year
        self.closed_days = []
        self.dates_key = ""
        # What the page says about the file: kept (pending), or lost.
        self.pending = None
        self.document_lost = False
        if self.is_bound and user is not None:
            ticket = self.data.get("pending_document", "")
            self.pending = pending.read_ticket(user, pupil, ticket)
            self.document_lost = bool(ticket) and self.pending is None

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            try:
                check_document(document)
            except FileRefused as exc:
                raise forms.ValidationError(exc.message) from None
        return document

    def kept_document(self):
        """The pending document the parent keeps (None if replaced or dropped)."""
        if self.pending is None or self.cleaned_data.get("document"):
            return None
        if self.cleaned_data.get("pending_choice") in (self.REPLACE, self.DROP):
            return None
        return self.pending

    def fresh_document(self):
        """The file chosen this time, if it passed the gate (to keep after an error)."""
        if not self.is_bound or "document" in self.errors:
            return None
        return getattr(self, "cleaned_data", {}).get("document") or None

    def set_pending(self, held):
        """After an error: show the kept file and carry its ticket."""
        self.pending = held
        self.document_lost = held is None
        data = self.data.copy()
        data["pending_document"] = held.ticket if held else ""
        data["pending_choice"] = self.KEEP
        self.data = data

    def clean(self):
        data = super().clean()
        needed = ("start_date", "start_half_day", "end_date", "end_half_day")
        if all(data.get(k) for k in needed):
            try:
                notice_bounds(
                    data["start_date"],
                    data["start_half_day"],
                    data.get("start_time"),
                    data["end_date"],
                    data["end_half_day"],
                    data.get("end_time"),
                )
                if self.year is not None:
                    check_in_school_year(self.year, data["start_date"], data["end_date"])
            except AbsenceError as exc:
                self.add_error("end_date", exc.message)
            else:
                self._warn_closed_days(data)
        reason = data.get("reason")
        if reason is not None and reason.needs_proof and not (data.get("document") or self.kept_document()):
            if self.pending is not None and data.get("pending_choice") == self.REPLACE:
                message = _("Choose the new file below, or keep the document already attached.")
            else:
                message = _("“%(reason)s” needs a document (a medical note, for example): attach it below.") % {
                    "reason": reason.label
                }
            self.add_error("document", message)
        return data

    def _warn_closed_days(self, data):
        start, end = data["start_date"], data["end_date"]
        self.closed_days = calendar.doubtful_days(start, end, self.school)
        self.dates_key = f"{start.isoformat()}/{end.isoformat()}"
        if self.closed_days and data.get("confirm_dates") != self.dates_key:
            self.add_error(
                None,
                forms.ValidationError(
                    _("There is no school on some of these days: check the dates, or confirm them below."),
                    code="closed_days",
                ),
            )

    def declaration(self) -> dict:
        """What absences.pending.do_declare_notice takes, once the form is valid."""
        return {
            "data": self.cleaned_data,
            "document": self.cleaned_data.get("document") or None,
            "pending": self.pending,
            "keep": self.kept_document() is not None,
        }

    def closed_day_lines(self):
        return [c.line(date_format(c.day, "l j F Y")) for c in self.closed_days]


class RejectForm(forms.Form):
    reject_reason = forms.CharField(
        label=_("Why is it rejected? (the family will read this)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RecordForm(forms.Form):
    """Vie scolaire records absences for one pupil or a whole class or group."""

    target = None
    pupil = forms.ModelChoiceField(label=_("Pupil"), queryset=User.objects.none(), required=False)
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    start_half_day = forms.ChoiceField(
        label=_("Starting in the"), choices=HalfDay.choices, initial=HalfDay.MORNING, widget=forms.RadioSelect
    )
    end_date = forms.DateField(label=_("To"), widget=DateInput())
    end_half_day = forms.ChoiceField(
        label=_("Ending in the"), choices=HalfDay.choices, initial=HalfDay.AFTERNOON, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(AbsenceEvent.Kind.ABSENCE, _("absent")), (AbsenceEvent.Kind.LATE, _("late"))],
        initial=AbsenceEvent.Kind.ABSENCE,
    )
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=Reason.objects.none(), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, classes, groups, pupils, reasons, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"start_date": today, "end_date": today})
        super().__init__(*args, **kwargs)
        self.fields = {
            "target": TargetField(
                classes,
                groups,
                label=_("A whole class or group (trip, strike…)"),
                required=False,
            ),
            **self.fields,
        }
        self.fields["target"].choices = [("", "—")] + list(self.fields["target"].choices)
        self.fields["pupil"].queryset = pupils
        self.fields["pupil"].label_from_instance = lambda p: f"{p.last_name} {p.first_name}"
        self.fields["reason"].queryset = reasons

    def clean(self):
        data = super().clean()
        if bool(data.get("target")) == bool(data.get("pupil")):
            raise forms.ValidationError(_("Choose either one pupil or one class or group."))
        return data


class EventForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=Reason.objects.none(), required=False)
    state = forms.ChoiceField(label=_("State"), choices=AbsenceEvent.State.choices)
    settled = forms.BooleanField(label=_("Settled"), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = reasons


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                raise forms.ValidationError(_("The end must be after the start."))
            if (data["end"] - data["start"]).days > 400:
                raise forms.ValidationError(_("Choose a period of at most one school year."))
        return data


class DayForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=DateInput(), required=False)


class ReasonForm(forms.ModelForm):
    class Meta:
        model = Reason
        fields = [
            "label",
            "label_en",
            "counts_as_justified",
            "needs_proof",
            "is_private",
            "settles",
            "is_active",
            "position",
        ]

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        clash = Reason.objects.filter(school_id=self.instance.school_id, label__iexact=label)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This school already has this reason."))
        return label

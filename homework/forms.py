from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.forms import MultipleFileField
from homework.files import ALLOWED_LABEL, MAX_ATTACHMENTS, max_attachment_bytes, max_submission_bytes
from homework.models import Entry


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of entry"), choices=Entry.Kind.choices, widget=forms.RadioSelect)
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=None, required=False, empty_label=_("(none)"))
    title = forms.CharField(label=_("Title"), max_length=200)
    instructions = forms.CharField(
        label=_("Instructions"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Simple formatting is kept (bold, lists, links); anything else is removed."),
    )
    work_type = forms.ChoiceField(label=_("Type of work"), choices=[("", "—"), *Entry.WorkType.choices], required=False)
    given_on = forms.DateField(label=_("Given on (or lesson date)"), widget=DateInput(), input_formats=DATE_FORMATS)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput(), input_formats=DATE_FORMATS)
    publish_at = forms.DateTimeField(
        label=_("Publish on (optional)"),
        required=False,
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("Leave empty to publish now. Families see the entry from this date and time."),
    )
    minutes = forms.IntegerField(label=_("Estimated time (minutes)"), required=False, min_value=1, max_value=600)
    hand_in = forms.BooleanField(label=_("Pupils hand in their work online"), required=False)
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to %(n)s files of %(mb)s MB each: %(types)s.")
        % {"n": MAX_ATTACHMENTS, "mb": max_attachment_bytes() // 1048576, "types": ALLOWED_LABEL},
    )

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        given_on, due_on = data.get("given_on"), data.get("due_on")
        if kind == Entry.Kind.WORK:
            if not due_on and "due_on" not in self.errors:
                self.add_error("due_on", _("Work to do needs a due date."))
            elif given_on and due_on and due_on < given_on:
                self.add_error("due_on", _("The due date cannot be before the date the work is given."))
        if len(data.get("attachments") or []) > MAX_ATTACHMENTS:
            self.add_error("attachments", _("At most %(n)s attachments per entry.") % {"n": MAX_ATTACHMENTS})
        return data

    def entry_fields(self):
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "subject": d["subject"],
            "title": d["title"],
            "instructions": d["instructions"],
            "work_type": d["work_type"],
            "given_on": d["given_on"],
            "due_on": d["due_on"],
            "publish_at": d["publish_at"],
            "minutes": d["minutes"],
            "hand_in": d["hand_in"],
        }


class NewEntryForm(EntryForm):
    """A new entry for `target` (the class or group the view checked), with
    "pour la prochaine séance": a second submit button that fills the due date
    from the timetable instead of saving (no JavaScript needed)."""

    NEXT_LESSON = "next_lesson"

    recurrence = forms.ChoiceField(
        label=_("Repeat"),
        required=False,
        choices=[("", _("No")), ("weekly", _("Every week")), ("fortnightly", _("Every two weeks"))],
    )
    repeat_until = forms.DateField(
        label=_("Repeat until"), required=False, widget=DateInput(), input_formats=DATE_FORMATS
    )

    def __init__(self, *args, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        self.next_lessons = []
        self.no_next_lesson = False

    def asks_next_lesson(self) -> bool:
        return self.is_bound and self.NEXT_LESSON in self.data

    def with_next_lesson(self, find) -> "NewEntryForm":
        """The form again, unbound (no error is shown: the title may still be
        empty, this is not the save), holding what was typed, with the next
        lesson's day as the due date; `find(target, subject, after)` reads the
        timetable. No lesson found: the date is left as typed, and the page
        says so. Files are not carried over (a browser cannot re-send them)."""
        typed = {
            name: field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            for name, field in self.fields.items()
            if name != "attachments"
        }
        subject = self._partial("subject")
        after = self._partial("given_on") or timezone.localdate()
        found = find(self.target, subject, after)
        if found:
            typed["due_on"] = found[0].date.isoformat()
            typed["kind"] = Entry.Kind.WORK
        form = NewEntryForm(subjects=self.fields["subject"].queryset, initial=typed, target=self.target)
        form.next_lessons = found
        form.no_next_lesson = not found
        return form

    def _partial(self, name):
        """One field's value from what was typed, or None when empty or wrong."""
        field = self.fields[name]
        try:
            return field.clean(field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name)))
        except forms.ValidationError:
            return None

    def clean(self):
        data = super().clean()
        if data.get("recurrence") and not data.get("repeat_until"):
            self.add_error("repeat_until", _("Choose until when the entry repeats."))
        elif data.get("recurrence") and data.get("given_on") and data["repeat_until"] <= data["given_on"]:
            self.add_error("repeat_until", _("The end of the repetition must be after the first date."))
        return data


class EditEntryForm(EntryForm):
    remove_attachments = forms.MultipleChoiceField(
        label=_("Remove attachments"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove_attachments"].choices = [(str(a.id), a.filename) for a in attachments]
        if not attachments:
            del self.fields["remove_attachments"]

    def removed_ids(self):
        return [int(i) for i in self.cleaned_data.get("remove_attachments") or []]


def entry_initial(entry):
    return {
        "kind": entry.kind,
        "subject": entry.subject_id,
        "title": entry.title,
        "instructions": entry.instructions,
        "work_type": entry.work_type,
        "given_on": entry.given_on,
        "due_on": entry.due_on,
        "publish_at": entry.publish_at,
        "minutes": entry.minutes,
        "hand_in": entry.hand_in,
    }


class CopyForm(forms.Form):
    target = forms.ChoiceField(label=_("Copy to"))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(t.slug, f"{t} — {t.school}") for t in targets]


class HandInForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("%(mb)s MB at most: %(types)s.")
        % {"mb": max_submission_bytes() // 1048576, "types": ALLOWED_LABEL},
    )
    link = forms.URLField(
        label=_("or a link"), required=False, max_length=500, assume_scheme="https", help_text=_("https://…")
    )

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("file")) == bool(data.get("link")):
            raise forms.ValidationError(_("Hand in either a file or a link."))
        return data


class VisaForm(forms.Form):
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=500)


class FeedForm(forms.Form):
    pupil = forms.IntegerField(widget=forms.HiddenInput)

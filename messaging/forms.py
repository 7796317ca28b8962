import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ent.forms import MultipleFileField
from messaging import access
from messaging.models import MAX_BODY, MAX_SUBJECT, Announcement

BODY_WIDGET = forms.Textarea(attrs={"rows": 5, "maxlength": MAX_BODY})

# Control characters other than tab and line breaks: nobody types them, they
# garble what others read (and a NUL cannot be stored in PostgreSQL text). NUL
# itself is refused by Django's own validator on every CharField.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value):
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(_("Remove the invisible control characters from this text."), code="control_characters")


TEXT = [no_control_characters]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MAX_BODY,
        widget=BODY_WIDGET,
        validators=TEXT,
        error_messages={"required": _("Write a message before sending.")},
    )
    files = MultipleFileField(
        label=_("Attach files (optional)"),
        required=False,
        help_text=_("PDF, images or office documents, 10 MB at most each."),
    )


class PersonChoiceField(forms.ModelMultipleChoiceField):
    # teacher id -> what they teach ("mathématiques, 6e A"), set by the form.
    teaching: dict = {}

    def label_from_instance(self, person):
        name = person.get_full_name() or person.username
        if getattr(person, "is_school_staff", False):
            kind = _("school office")
        elif getattr(person, "is_school_teacher", False):
            if self.teaching.get(person.pk):
                return f"{name} — {self.teaching[person.pk]}"
            kind = _("teacher")
        elif getattr(person, "is_school_pupil", False):
            kind = _("pupil")
        else:
            kind = _("parent")
        return f"{name} ({kind})"


class NewConversationForm(forms.Form):
    recipients = PersonChoiceField(
        label=pgettext_lazy("recipients", "To"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one person to write to."),
            "invalid_choice": _("You may not write to this person."),
            "invalid_pk_value": _("You may not write to this person."),
        },
    )
    subject = forms.CharField(label=pgettext_lazy("conversation", "Subject"), max_length=MAX_SUBJECT, validators=TEXT)
    body = forms.CharField(
        label=_("Your message"),
        max_length=MAX_BODY,
        widget=BODY_WIDGET,
        validators=TEXT,
        error_messages={"required": _("Write a message before sending.")},
    )
    files = MultipleFileField(
        label=_("Attach files (optional)"),
        required=False,
        help_text=_("PDF, images or office documents, 10 MB at most each."),
    )

    about = forms.ModelChoiceField(
        label=_("Which child is it about?"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        # Not chosen: taken from the recipients when they deal with one child only (clean).
        required=False,
        error_messages={"invalid_choice": _("Choose one of your children.")},
    )

    def __init__(self, *args, people, children=None, teaching=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = people
        self.fields["recipients"].teaching = teaching or {}
        # A parent with several children says which one the message is about
        # (the teacher reads it, and so do the notifications); with one child
        # it is that child, without asking.
        listed = list(children) if children is not None else []
        self.only_child = listed[0] if len(listed) == 1 else None
        if len(listed) > 1:
            self.fields["about"].queryset = children
            self.fields["about"].label_from_instance = lambda c: c.first_name or c.get_full_name()
        else:
            del self.fields["about"]

    def clean(self):
        data = super().clean()
        if "about" in self.fields and not data.get("about") and data.get("recipients"):
            children = list(self.fields["about"].queryset)
            related = access.children_related_to(children, [p.pk for p in data["recipients"]])
            if len(related) == 1:
                data["about"] = next(c for c in children if c.pk in related)
            else:
                self.add_error("about", _("Choose the child this message is about."))
        return data

    def about_child(self):
        return self.cleaned_data.get("about") or self.only_child


class EditMessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=MAX_BODY, widget=BODY_WIDGET, validators=TEXT)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you report this message?"),
        max_length=500,
        validators=TEXT,
        error_messages={"required": _("Say briefly why you report this message.")},
    )


class ArchiveForm(forms.Form):
    archived = forms.BooleanField(required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search my conversations"), required=False, max_length=100)
    archived = forms.BooleanField(required=False)


class PolicyForm(forms.Form):
    pupils_may_write = forms.BooleanField(label=_("Pupils may use the messaging"), required=False)
    pupils_may_start = forms.BooleanField(
        label=_("Pupils may start a conversation (otherwise they may only reply)"), required=False
    )
    parents_may_start = forms.BooleanField(
        label=_("Parents may start a conversation (otherwise they may only reply)"), required=False
    )


class AnnouncementForm(forms.Form):
    target = forms.ChoiceField(label=_("To the families of"))
    title = forms.CharField(label=_("Title"), max_length=MAX_SUBJECT, validators=TEXT)
    body = forms.CharField(label=_("Text"), max_length=MAX_BODY, widget=BODY_WIDGET, validators=TEXT)
    requires_confirmation = forms.BooleanField(label=_("Ask families to confirm they have read it"), required=False)

    def __init__(self, *args, classes, groups, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {}
        choices = []
        for school in schools:
            key = f"school-{school.id}"
            self.targets[key] = (Announcement.Audience.SCHOOL, school)
            choices.append((key, _("the whole school: %(name)s") % {"name": school.name}))
        for klass in classes:
            key = f"class-{klass.id}"
            self.targets[key] = (Announcement.Audience.CLASS, klass)
            choices.append((key, _("class %(name)s") % {"name": klass.name}))
        for group in groups:
            key = f"group-{group.id}"
            self.targets[key] = (Announcement.Audience.GROUP, group)
            choices.append((key, _("group %(name)s") % {"name": group.name}))
        self.fields["target"].choices = choices
        self.fields["target"].error_messages["invalid_choice"] = _("You may not send an announcement there.")

    def clean_target(self):
        return self.targets[self.cleaned_data["target"]]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply privately to the sender"),
        max_length=MAX_BODY,
        widget=BODY_WIDGET,
        validators=TEXT,
        error_messages={"required": _("Write a message before sending.")},
    )

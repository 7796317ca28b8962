"""Forms of the directory management pages (imports, letters, accounts, rollover)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ent import files
from ent.directory.imports import parsing
from ent.directory.lifecycle import ROLE_GUARDIANS, ROLE_PUPILS, ROLE_TEACHERS
from ent.directory.models import ImportJob, SchoolClass
from ent.errors import FileRefused

MAX_UPLOAD_MB = parsing.MAX_BYTES // (1024 * 1024)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file lists"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect)
    scope = forms.ChoiceField(
        label=_("People missing from the file"),
        choices=[
            (ImportJob.Scope.CLASSES, _("are left alone, except in the classes the file lists")),
            (ImportJob.Scope.SCHOOL, _("have left the school (the file lists the whole school)")),
        ],
        initial=ImportJob.Scope.CLASSES,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "An export from ONDE, SIECLE or STS, separated by semicolons or commas, in UTF-8 or Latin-1; "
            "at most %(size)s MB. Nothing changes before you confirm the preview."
        )
        % {"size": MAX_UPLOAD_MB},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The one file gate (ent/files.py): size, and text by content, not by name.
        try:
            files.check(upload, files.CSV_IMPORT, name_limit=255)
        except FileRefused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class LettersForm(forms.Form):
    school_class = ClassChoiceField(
        label=_("Class"),
        queryset=SchoolClass.objects.none(),
        required=False,
        empty_label=_("The whole school"),
    )
    only_new = forms.BooleanField(
        label=_("Only accounts not activated yet"),
        required=False,
        initial=True,
        help_text=_("Each printed letter gets a new code: the codes of earlier letters stop working."),
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = SchoolClass.objects.filter(school=school, year__is_current=True)


class AccountsFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[
            ("", _("Everybody")),
            (ROLE_PUPILS, _("Pupils")),
            (ROLE_GUARDIANS, _("Guardians")),
            (ROLE_TEACHERS, _("Teachers")),
        ],
    )
    school_class = ClassChoiceField(
        label=_("Class"), queryset=SchoolClass.objects.none(), required=False, empty_label=_("All classes")
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = SchoolClass.objects.filter(school=school, year__is_current=True)


class BlockForm(AccountsFilterForm):
    action = forms.ChoiceField(choices=[("block", _("Block")), ("unblock", _("Unblock"))])
    users = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])
    # "Everybody selected by the filter" instead of ticked people.
    everyone = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked against the school's people by the view (access), not here.
        self.fields["users"].valid_value = lambda value: True

    def clean(self):
        data = super().clean()
        if not data.get("users") and not data.get("everyone"):
            raise forms.ValidationError(_("Tick at least one person, or choose a role or a class."))
        return data


class MergeForm(forms.Form):
    keep = forms.IntegerField(widget=forms.HiddenInput)
    duplicate = forms.IntegerField(widget=forms.HiddenInput)


class RolloverForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked the preview: close this year and open the next one."), required=True
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from ent.directory.models import Group, School, SchoolClass, Subject
from media.models import Illustration, Item

TEXT_MAX = 5000


class ProposeForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), label=_("School"), empty_label=None)
    kind = forms.ChoiceField(choices=Item.Kind.choices, label=_("Kind of resource"))
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}), label=_("Description")
    )
    summary = forms.CharField(
        required=False, max_length=200, label=_("Summary (one line)"), help_text=_("Shown in the tablets' store.")
    )
    title_en = forms.CharField(required=False, max_length=200, label=_("Title in English (optional)"))
    summary_en = forms.CharField(required=False, max_length=200, label=_("Summary in English (optional)"))
    description_en = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Description in English (optional)"),
    )
    subjects = forms.ModelMultipleChoiceField(
        queryset=Subject.objects.none(), required=False, label=_("Subjects"), widget=forms.CheckboxSelectMultiple
    )
    levels = forms.CharField(required=False, max_length=200, label=_("Levels"), help_text=_("For example: 6e, 5e"))
    licence = forms.CharField(required=False, max_length=200, label=_("Licence"), help_text=_("For example: CC BY-SA"))
    url = forms.URLField(required=False, max_length=1000, label=_("Address (web link only)"), assume_scheme="https")
    file = forms.FileField(required=False, label=_("File"), help_text=_("Not needed for a web link."))

    def __init__(self, *args, school_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(id__in=school_ids)
        self.fields["subjects"].queryset = Subject.objects.filter(school_id__in=school_ids).order_by("name")

    def clean_url(self):
        url = self.cleaned_data.get("url", "")
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Only http and https addresses are accepted."))
        return url

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Item.Kind.LINK and not data.get("url"):
            self.add_error("url", _("Give the address of the web link."))
        school = data.get("school")
        if school and any(s.school_id != school.id for s in data.get("subjects", [])):
            self.add_error("subjects", _("Choose subjects of this school."))
        return data

    def item_data(self, *, with_file=False) -> dict:
        """What the action needs (JSON-safe, kept on an upload ticket for the direct path)."""
        fields = ("kind", "title", "description", "levels", "licence", "url")
        fields += ("summary", "title_en", "summary_en", "description_en")
        data = {k: self.cleaned_data.get(k) or "" for k in fields}
        data["subjects"] = [s.id for s in self.cleaned_data.get("subjects", [])]
        return data


class DirectStartForm(ProposeForm):
    """The same fields, without the file: its name, size and checksum instead."""

    filename = forms.CharField(max_length=500)
    size = forms.IntegerField(min_value=0)  # 0: the action says the file is empty
    sha256 = forms.CharField(required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["file"]


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New file"))


class IllustrationForm(forms.Form):
    role = forms.ChoiceField(choices=Illustration.Role.choices, label=_("Kind of image"))
    file = forms.FileField(label=_("Image (PNG, JPEG, GIF or WebP)"))


class DirectVersionStartForm(forms.Form):
    filename = forms.CharField(max_length=500)
    size = forms.IntegerField(min_value=0)  # 0: the action says the file is empty
    sha256 = forms.CharField(required=False, max_length=64)


class ApproveForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    signer_change_reason = forms.CharField(required=False, max_length=1500)


class RejectForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=2000, label=_("Reason (the teacher will read it)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, label=_("Reason"))


class AssignForm(forms.Form):
    classes = forms.ModelMultipleChoiceField(
        queryset=SchoolClass.objects.none(), required=False, label=_("Classes"), widget=forms.CheckboxSelectMultiple
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(), required=False, label=_("Groups"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classes"].queryset = SchoolClass.objects.filter(school=school, year__is_current=True)
        self.fields["groups"].queryset = Group.objects.filter(school=school, year__is_current=True)


class FleetForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), label=_("School"), empty_label=None)
    name = forms.CharField(max_length=100, label=_("Name of the fleet"))

    def __init__(self, *args, school_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(id__in=school_ids)


class TabletForm(forms.Form):
    label = forms.CharField(required=False, max_length=100, label=_("Label of the tablet"))


class FleetItemForm(forms.Form):
    item = forms.ModelChoiceField(queryset=Item.objects.none(), label=_("App"))
    mandatory = forms.BooleanField(required=False, initial=True, label=_("Mandatory (installed on every tablet)"))

    def __init__(self, *args, fleet=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.filter(school_id=fleet.school_id, kind=Item.Kind.APK).offered()

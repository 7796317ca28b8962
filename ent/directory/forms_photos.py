"""Forms of the pupil photos' pages (ent/directory/views_photos.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PhotoUploadForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo (JPEG or PNG)"),
        help_text=_("A portrait, face in the middle. Only a small copy is kept, without the place it was taken."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class PhotoZipForm(forms.Form):
    archive = forms.FileField(
        label=_("Zip of photos"),
        help_text=_(
            "One JPEG or PNG file per pupil, named with the pupil’s INE or login, for example 123456789AB.jpg "
            "or lea.martin.jpg. Pupils whose family refused photos are skipped."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


class PhotoActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("delete", "delete"), ("refuse", "refuse"), ("allow", "allow")])

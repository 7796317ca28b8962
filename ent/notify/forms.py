from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ent.notify import actions, webpush
from ent.notify.kinds import KINDS, Frequency
from ent.notify.models import ChildMute, NotificationSettings, Preference
from ent.notify.preferences import DEFAULT_QUIET_END, DEFAULT_QUIET_START, effective

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PreferencesForm(forms.Form):
    # Shown as one sentence a parent reads: "Ne pas me déranger de [20:00] à [07:00]".
    quiet_start = forms.TimeField(label=pgettext_lazy("do not disturb", "from"), widget=TIME_WIDGET)
    quiet_end = forms.TimeField(
        label=pgettext_lazy("do not disturb", "to"),
        widget=TIME_WIDGET,
        help_text=_(
            "Between these two times only urgent messages reach you by email or SMS; the others wait until "
            "the end. Everything still appears here on the ENT."
        ),
    )

    def __init__(self, *args, user, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.children = list(children)
        # Without a mobile number no SMS can reach the person: the page does not offer it (and says why),
        # and saving keeps what was stored, so SMS work as chosen once the school adds a number.
        self.offers_sms = bool(user.phone)
        self.kept_sms = {}
        # Pushes go only to devices where the person turned them on; the choice per
        # kind is offered whenever the channel exists.
        self.offers_webpush = webpush.enabled()
        self.kept_webpush = {}
        prefs = {p.kind: p for p in Preference.objects.filter(user=user)}
        muted = set(ChildMute.objects.filter(user=user).values_list("child_id", "kind"))
        quiet = NotificationSettings.objects.filter(user=user).first()
        self.fields["quiet_start"].initial = quiet.quiet_start if quiet else DEFAULT_QUIET_START
        self.fields["quiet_end"].initial = quiet.quiet_end if quiet else DEFAULT_QUIET_END

        for kind in KINDS.values():
            current = effective(kind, prefs.get(kind.code))
            # "off" stays a valid choice for every kind so that posting it gets the
            # clear message below, not Django's generic "not one of the choices".
            freq = forms.ChoiceField(label=kind.label, choices=Frequency.choices, initial=current.chosen_frequency)
            if not kind.can_be_turned_off:
                freq.widget.choices = [c for c in Frequency.choices if c[0] != Frequency.OFF]
            self.fields[f"{kind.code}__frequency"] = freq
            self.fields[f"{kind.code}__email"] = forms.BooleanField(
                label=_("Email"), required=False, initial=current.email
            )
            if self.offers_sms:
                self.fields[f"{kind.code}__sms"] = forms.BooleanField(
                    label=_("SMS"), required=False, initial=current.sms
                )
            else:
                self.kept_sms[kind.code] = current.sms
            if self.offers_webpush:
                self.fields[f"{kind.code}__webpush"] = forms.BooleanField(
                    label=_("Push notification"), required=False, initial=current.webpush
                )
            else:
                self.kept_webpush[kind.code] = current.webpush
            if kind.about_child and kind.can_be_turned_off:
                for child in self.children:
                    self.fields[f"receive__{child.id}__{kind.code}"] = forms.BooleanField(
                        label=child.first_name or str(child),
                        required=False,
                        initial=(child.id, kind.code) not in muted,
                    )

    def clean(self):
        data = super().clean()
        for kind in KINDS.values():
            name = f"{kind.code}__frequency"
            if name in data:
                try:
                    actions.check_preference(kind.code, data[name])
                except actions.CannotTurnOff as exc:
                    self.add_error(name, exc.message)
        return data

    def kind_rows(self):
        for kind in KINDS.values():
            yield {
                "kind": kind,
                "frequency": self[f"{kind.code}__frequency"],
                "email": self[f"{kind.code}__email"],
                "sms": self[f"{kind.code}__sms"] if self.offers_sms else None,
                "webpush": self[f"{kind.code}__webpush"] if self.offers_webpush else None,
            }

    def child_rows(self):
        for kind in KINDS.values():
            if kind.about_child and kind.can_be_turned_off and self.children:
                yield {"kind": kind, "fields": [self[f"receive__{c.id}__{kind.code}"] for c in self.children]}

    def preferences(self) -> dict:
        """The keyword arguments of actions.do_save_preferences, from the cleaned data."""
        data = self.cleaned_data
        kinds = {
            code: (
                data[f"{code}__frequency"],
                data[f"{code}__email"],
                data[f"{code}__sms"] if self.offers_sms else self.kept_sms[code],
                data[f"{code}__webpush"] if self.offers_webpush else self.kept_webpush[code],
            )
            for code in KINDS
        }
        mutes = {
            (child.id, kind.code)
            for kind in KINDS.values()
            if kind.about_child and kind.can_be_turned_off
            for child in self.children
            if not data.get(f"receive__{child.id}__{kind.code}")
        }
        return {"kinds": kinds, "mutes": mutes, "quiet_start": data["quiet_start"], "quiet_end": data["quiet_end"]}

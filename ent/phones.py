"""Phone numbers as people type them, to E.164 (what every SMS gateway accepts),
parsed with Google's libphonenumber rules (the `phonenumbers` package).

People write French numbers nationally ("06 12 34 56 78"). The overseas
departments and territories share France's 10-digit national plan, but each has
its own country code: "0692 12 34 56" is Réunion, +262 692 12 34 56, not
+33 692 ... (which no operator routes). So a national number's first four
digits (ARCEP's overseas prefixes) choose the region it is parsed for, and
libphonenumber then checks it is a number really allocated there. A number
written as +33 followed by an overseas prefix is mended the same way. Other
countries' numbers must be written in international format
(+44 ..., 0044 ...).
"""

import re

import phonenumbers
from django import forms

from ent.errors import InvalidPhoneNumber

# The national prefixes (ARCEP's plan) of the overseas departments that share
# France's 10-digit plan with a trunk "0", and the region that dials them. A number
# with one of these prefixes is never a mainland number: libphonenumber's FR
# metadata alone would accept some of them (05 96 ...) as +33.
OVERSEAS_PREFIXES = {
    "0262": "RE",  # Réunion, fixed
    "0263": "RE",
    "0692": "RE",  # Réunion, mobile
    "0693": "RE",
    "0269": "YT",  # Mayotte (+262 too)
    "0639": "YT",
    "0590": "GP",  # Guadeloupe, Saint-Barthélemy, Saint-Martin (+590)
    "0690": "GP",
    "0691": "GP",
    "0596": "MQ",  # Martinique (+596)
    "0696": "MQ",
    "0697": "MQ",
    "0594": "GF",  # Guyane (+594)
    "0694": "GF",
}
HOME_REGION = "FR"


def _valid(number) -> bool:
    return number is not None and phonenumbers.is_valid_number(number)


def _parse(text: str, region: str | None):
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def parse_phone(raw: str) -> phonenumbers.PhoneNumber:
    """The number `raw` stands for; InvalidPhoneNumber if it is none."""
    text = (raw or "").strip()
    # libphonenumber reads "00" as the international prefix only with a region
    # that dials it; France does, so "0044..." works through the FR parse below.
    if not text or len(text) > 40:
        raise InvalidPhoneNumber(raw)
    if text.startswith("+"):
        number = _parse(text, None)
        if _valid(number):
            return number
        if number is not None and number.country_code == 33:
            # "+33 692 ..." written by someone who knows the +33 rule but not
            # that Réunion has its own code.
            return _national("0" + str(number.national_number), raw)
        raise InvalidPhoneNumber(raw)
    return _national(text, raw)


def _national(text: str, raw: str) -> phonenumbers.PhoneNumber:
    digits = re.sub(r"\D", "", text)
    region = OVERSEAS_PREFIXES.get(digits[:4], HOME_REGION) if len(digits) == 10 else HOME_REGION
    # With FR as the region, "0044 ..." is read as the international prefix: +44.
    number = _parse(text, region)
    if _valid(number):
        return number
    raise InvalidPhoneNumber(raw)


def normalize_phone(raw: str) -> str:
    """E.164 ("+262692123456"); InvalidPhoneNumber if `raw` is not a usable number."""
    return phonenumbers.format_number(parse_phone(raw), phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """A stored number as people read it: national for France and its overseas
    regions ("06 12 34 56 78", "0692 12 34 56"), international otherwise. Text
    that does not parse (an old free-form value) is shown as it is."""
    try:
        number = parse_phone(value)
    except InvalidPhoneNumber:
        return value
    if phonenumbers.region_code_for_number(number) in {HOME_REGION, "BL", "MF", *OVERSEAS_PREFIXES.values()}:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class PhoneNumberField(forms.CharField):
    """A form field that accepts what `normalize_phone` accepts and cleans to E.164;
    anything else is refused with InvalidPhoneNumber's message."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        try:
            return normalize_phone(value)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(exc.message, code="invalid_phone") from None

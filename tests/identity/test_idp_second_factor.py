"""The rule of ent.identity.mfa, value by value: only a trusted IdP, only a
listed value."""

from types import SimpleNamespace

import pytest

from ent.identity.mfa import STATE_KEY, idp_proves_second_factor, login_second_factor_by_idp

MFA = "https://refeds.org/profile/mfa"


def idp(trusted, values):
    return SimpleNamespace(trusts_second_factor=trusted, second_factor_acr_values=values)


@pytest.mark.parametrize(
    ("trusted", "values", "asserted", "proved"),
    [
        (False, [MFA], [MFA], False),  # the default: the IdP's word is not taken
        (True, [MFA], [MFA], True),
        (True, [MFA], [" " + MFA + " "], True),
        (True, [MFA], ["urn:oasis:names:tc:SAML:2.0:ac:classes:Password"], False),
        (True, [MFA], [], False),
        (True, [], [MFA], False),  # trusted but nothing listed
        (True, ["", " "], [""], False),
        (True, None, [MFA], False),
    ],
)
def test_idp_proves_second_factor(trusted, values, asserted, proved):
    assert idp_proves_second_factor(idp(trusted, values), asserted) is proved


def test_only_a_sociallogin_marked_by_the_adapter_skips_the_stage():
    def login(state=None, social=True):
        sociallogin = SimpleNamespace(state=state or {}) if social else None
        return SimpleNamespace(signal_kwargs={"sociallogin": sociallogin} if social else None)

    assert login_second_factor_by_idp(login({STATE_KEY: True}))
    assert not login_second_factor_by_idp(login({STATE_KEY: False}))
    assert not login_second_factor_by_idp(login({STATE_KEY: "yes"}))
    assert not login_second_factor_by_idp(login({}))
    assert not login_second_factor_by_idp(login(social=False))

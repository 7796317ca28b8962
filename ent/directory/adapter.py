from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from the school (imports, staff, activation codes): there is
    no public sign-up."""

    def is_open_for_signup(self, request):
        return False

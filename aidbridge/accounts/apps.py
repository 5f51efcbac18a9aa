from django.apps import AppConfig

from aidbridge.core import viewer


class AccountsConfig(AppConfig):
    name = "aidbridge.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The principal module imports models, so it loads here, once the app registry is ready.
        from django.contrib.auth.signals import user_logged_in

        from aidbridge.accounts.middleware import remember_language
        from aidbridge.accounts.principal import principal

        viewer.register(principal)  # core and audit ask core.viewer; the rules stay here
        user_logged_in.connect(remember_language, dispatch_uid="aidbridge.accounts.remember_language")

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "aidbridge.accounts"
    label = "accounts"

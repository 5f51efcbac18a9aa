from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "aidbridge.pledges"
    label = "pledges"

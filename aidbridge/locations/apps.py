from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "aidbridge.locations"
    label = "locations"

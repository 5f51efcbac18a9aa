from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "aidbridge.catalogue"
    label = "catalogue"

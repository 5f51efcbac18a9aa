from django.apps import AppConfig


class WhatifConfig(AppConfig):
    name = "aidbridge.whatif"
    label = "whatif"
    verbose_name = "What-if analysis"

from django.urls import path

from aidbridge.api import api

urlpatterns = [
    path("api/v1/", api.urls),
]

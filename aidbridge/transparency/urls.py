from django.urls import path

from aidbridge.transparency import views

app_name = "transparency"
urlpatterns = [
    path("transparency/", views.index, name="index"),
    path("transparency/aidbridge-transparency.csv", views.download, name="csv"),
]

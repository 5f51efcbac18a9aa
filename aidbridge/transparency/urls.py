from django.urls import path

from aidbridge.transparency import views

app_name = "transparency"
urlpatterns = [
    path("transparency/", views.index, name="index"),
    path("transparency/aidbridge-transparency.csv", views.download, name="csv"),
    path("transparency/aidbridge-training.csv", views.training_download, name="training_csv"),
]

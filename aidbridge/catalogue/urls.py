from __future__ import annotations

from django.urls import path

from aidbridge.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("catalogue/", views.ItemList.as_view(), name="item_list"),
    path("catalogue/add/", views.ItemEdit.as_view(), name="item_add"),
    path("catalogue/<int:pk>/", views.ItemDetail.as_view(), name="item"),
    path("catalogue/<int:pk>/edit/", views.ItemEdit.as_view(), name="item_edit"),
    path("rates/", views.RateList.as_view(), name="exchangerate_list"),
    path("rates/add/", views.RateAdd.as_view(), name="exchangerate_add"),
    path("rates/upload/", views.RatesUpload.as_view(), name="exchangerate_upload"),
    path("rates/<int:pk>/", views.RateDetail.as_view(), name="exchangerate"),
]

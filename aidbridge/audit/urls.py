from django.urls import path

from aidbridge.audit import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.AuditEventList.as_view(), name="auditevent_list"),
    path("audit/<int:pk>/", views.AuditEventDetail.as_view(), name="auditevent"),
]

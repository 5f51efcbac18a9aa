from __future__ import annotations

from django.urls import path

from aidbridge.core.views import transition_paths
from aidbridge.training import views
from aidbridge.training.models import Course, TrainingRequest

# Included under /training/ by aidbridge/urls.py.
app_name = "training"
urlpatterns = [
    path("courses/", views.CourseList.as_view(), name="course_list"),
    path("courses/add/", views.CourseEdit.as_view(), name="course_add"),
    path("courses/<int:pk>/", views.CourseDetail.as_view(), name="course"),
    path("courses/<int:pk>/edit/", views.CourseEdit.as_view(), name="course_edit"),
    path("courses/<int:pk>/record/", views.CourseEnrolmentRecord.as_view(), name="course_record"),
    path("requests/", views.TrainingRequestList.as_view(), name="trainingrequest_list"),
    path("requests/add/", views.TrainingRequestEdit.as_view(), name="trainingrequest_add"),
    path("requests/<int:pk>/", views.TrainingRequestDetail.as_view(), name="trainingrequest"),
    path("requests/<int:pk>/edit/", views.TrainingRequestEdit.as_view(), name="trainingrequest_edit"),
    path("requests/<int:pk>/enrol/", views.TrainingRequestEnrol.as_view(), name="trainingrequest_enrol"),
    path("requests/<int:pk>/record/", views.TrainingRequestRecord.as_view(), name="trainingrequest_record"),
    path("seat-plans/", views.seatplan_list, name="seatplanrun_list"),
    path("seat-plans/start/", views.seatplan_start, name="seatplanrun_start"),
    path("seat-plans/<int:pk>/", views.seatplan_detail, name="seatplanrun"),
    path("seat-plans/<int:pk>/progress/", views.seatplan_progress, name="seatplanrun_progress"),
    path("seat-plans/<int:pk>/approve/", views.seatplan_approve, name="seatplanrun_approve"),
    path("seat-plans/<int:pk>/<str:what>.json", views.seatplan_download, name="seatplanrun_download"),
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/readiness.csv", views.readiness_csv, name="readiness_csv"),
]
urlpatterns += transition_paths(Course, "course", views.COURSE_TRANSITIONS, prefix="courses/")
urlpatterns += transition_paths(TrainingRequest, "request", views.REQUEST_TRANSITIONS, prefix="requests/")

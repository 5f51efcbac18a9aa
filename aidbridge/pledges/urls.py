from __future__ import annotations

from django.urls import path

from aidbridge.core.views import transition_paths
from aidbridge.pledges import views
from aidbridge.pledges.models import FinancialPledge, Pledge

app_name = "pledges"
urlpatterns = [
    path("pledges/", views.PledgeList.as_view(), name="pledge_list"),
    path("pledges/add/", views.PledgeEdit.as_view(), name="pledge_add"),
    path("pledges/<int:pk>/", views.PledgeDetail.as_view(), name="pledge"),
    path("pledges/<int:pk>/edit/", views.PledgeEdit.as_view(), name="pledge_edit"),
    path("pledges/<int:pk>/documents/", views.DocumentAdd.as_view(), name="pledge_documents"),
    path("pledges/<int:pk>/documents/withdraw/", views.DocumentWithdraw.as_view(), name="document_withdraw"),
    path("pledges/documents/<int:pk>/download/", views.DocumentDownload.as_view(), name="document_download"),
    path("pledges/financial/", views.FinancialPledgeList.as_view(), name="financialpledge_list"),
    path("pledges/financial/add/", views.FinancialPledgeEdit.as_view(), name="financialpledge_add"),
    path("pledges/financial/<int:pk>/", views.FinancialPledgeDetail.as_view(), name="financialpledge"),
    path("pledges/financial/<int:pk>/edit/", views.FinancialPledgeEdit.as_view(), name="financialpledge_edit"),
]
urlpatterns += transition_paths(Pledge, "pledge", views.TRANSITIONS, prefix="pledges/")
urlpatterns += transition_paths(FinancialPledge, "pledge", views.MONEY_TRANSITIONS, prefix="pledges/financial/")

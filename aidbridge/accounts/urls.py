from __future__ import annotations

from django.urls import path

from aidbridge.accounts import twofactor, views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.login, name="login"),
    path("accounts/login/code/", twofactor.login_code, name="login_code"),
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/language/", views.set_language, name="set_language"),
    path("accounts/two-factor/", twofactor.two_factor, name="two_factor"),
    path("accounts/tokens/", views.TokenList.as_view(), name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.TokenRevoke.as_view(), name="token_revoke"),
    path("organisations/", views.OrganisationList.as_view(), name="organisation_list"),
    path("organisations/add/", views.OrganisationEdit.as_view(), name="organisation_add"),
    path("organisations/<int:pk>/", views.OrganisationDetail.as_view(), name="organisation"),
    path("organisations/<int:pk>/edit/", views.OrganisationEdit.as_view(), name="organisation_edit"),
]

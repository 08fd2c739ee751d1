from django.urls import path

from venueos.accounts import api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/tokens/", api.TokenListCreateApi.as_view(), name="auth-tokens"),
    path(
        "auth/tokens/<uuid:token_id>/",
        api.TokenDetailApi.as_view(),
        name="auth-token-detail",
    ),
    path("me/", api.MeApi.as_view(), name="me"),
    path(
        "organizations/", api.OrganizationListCreateApi.as_view(), name="organizations"
    ),
    path("users/", api.UserCreateApi.as_view(), name="users"),
]

"""Tells drf-spectacular how API tokens authenticate, so every operation in the
OpenAPI document carries the bearer security requirement."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "venueos.accounts.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from POST /api/v1/auth/tokens/ "
            "(`Authorization: Bearer <token>`; `Token <token>` works too).",
        }

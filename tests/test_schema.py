"""The OpenAPI schema is valid and complete; Swagger UI works with no internet."""

import re

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/v1/auth/register/": {"post"},
    "/api/v1/auth/tokens/": {"get", "post"},
    "/api/v1/auth/tokens/{token_id}/": {"delete"},
    "/api/v1/me/": {"get"},
    "/api/v1/organizations/": {"get", "post"},
    "/api/v1/users/": {"post"},
    "/api/v1/venues/": {"get", "post"},
    "/api/v1/venues/{venue_id}/": {"get", "patch", "delete"},
    "/api/v1/venues/{venue_id}/spaces/": {"get"},
    "/api/v1/spaces/": {"post"},
    "/api/v1/spaces/{space_id}/": {"get", "patch", "delete"},
    "/api/v1/venues/{venue_id}/opening-hours/": {"get", "put"},
    "/api/v1/venues/{venue_id}/closures/": {"get", "post"},
    "/api/v1/closures/{closure_id}/": {"delete"},
}


@pytest.fixture
def schema(anon_client):
    response = anon_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    return response.json()


def test_schema_is_a_valid_openapi_document(schema):
    validate(schema)  # raises OpenAPIValidationError on any violation
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "VenueOS API"


def test_schema_describes_every_accounts_and_venues_endpoint(schema):
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_schema_documents_problem_errors_on_every_operation(schema):
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {
        "type",
        "title",
        "status",
        "detail",
    }
    for path, methods in CONTRACT_PATHS.items():
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            for code in ("400", "401", "403", "404"):
                content = responses[code]["content"]
                assert "application/problem+json" in content, (path, method, code)


def test_schema_declares_bearer_authentication(schema):
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    booking_create = schema["paths"]["/api/v1/bookings/"]["post"]
    assert {"bearerAuth": []} in booking_create["security"]


def test_swagger_ui_uses_only_local_assets(anon_client):
    response = anon_client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    references = re.findall(r'(?:src|href)\s*=\s*"([^"]+)"', html)
    assert references, "the page loads no assets at all"
    external = [url for url in references if not url.startswith("/")]
    assert external == []
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html)
    assert "/api/schema/" in html
    assets = [url for url in references if url.startswith("/static/")]
    assert any(url.endswith(".js") for url in assets)
    assert any(url.endswith(".css") for url in assets)
    for url in assets:
        asset = anon_client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, url


def test_schema_generates_without_warnings(tmp_path):
    """Warnings mean an operation or component is described by a guess
    (an unknown authenticator, colliding enum names)."""
    from django.core.management import call_command

    call_command(
        "spectacular",
        "--fail-on-warn",
        "--validate",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    text = (tmp_path / "schema.yaml").read_text()
    assert "bearerAuth" in text and "BookingStatusEnum" in text

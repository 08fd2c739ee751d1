import pytest

pytestmark = pytest.mark.django_db


def test_front_page_lists_venues_and_links_the_api_docs(client, venue):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert venue.name in html
    assert 'href="/api/docs/"' in html

"""The space tree over HTTP and in the database: nesting, paths, moves, cycles."""

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import client_for, make_space, make_venue
from venueos.venues.models import Space

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def tree(venue):
    """Building > Floor 1 > Room 101, Room 102; Building > Floor 2 > Room 201."""
    building = make_space(venue, name="Building", capacity=300)
    floor_1 = make_space(venue, building, name="Floor 1", capacity=100)
    floor_2 = make_space(venue, building, name="Floor 2", capacity=100)
    return {
        "building": building,
        "floor_1": floor_1,
        "floor_2": floor_2,
        "room_101": make_space(venue, floor_1, name="Room 101", capacity=10),
        "room_102": make_space(venue, floor_1, name="Room 102", capacity=20),
        "room_201": make_space(venue, floor_2, name="Room 201", capacity=30),
    }


def _ids(*spaces):
    return [str(space.id) for space in spaces]


def test_flat_list_carries_path_from_the_root(anon_client, venue, tree):
    response = anon_client.get(f"/api/v1/venues/{venue.id}/spaces/")
    assert response.status_code == 200
    by_name = {space["name"]: space for space in response.json()}
    assert len(by_name) == 6
    assert by_name["Building"]["path"] == []
    assert by_name["Building"]["parent_id"] is None
    assert by_name["Floor 2"]["path"] == _ids(tree["building"])
    assert by_name["Room 102"]["path"] == _ids(tree["building"], tree["floor_1"])
    assert by_name["Room 201"]["path"] == _ids(tree["building"], tree["floor_2"])
    assert by_name["Room 201"]["parent_id"] == str(tree["floor_2"].id)
    assert by_name["Room 201"]["venue_id"] == str(venue.id)


def test_tree_nests_children_three_levels_deep(anon_client, venue, tree):
    response = anon_client.get(f"/api/v1/venues/{venue.id}/spaces/?tree=1")
    assert response.status_code == 200
    roots = response.json()
    assert [root["name"] for root in roots] == ["Building"]
    floors = roots[0]["children"]
    assert [floor["name"] for floor in floors] == ["Floor 1", "Floor 2"]
    rooms = floors[0]["children"]
    assert [room["name"] for room in rooms] == ["Room 101", "Room 102"]
    assert rooms[1]["path"] == _ids(tree["building"], tree["floor_1"])
    assert rooms[1]["children"] == []
    assert [room["name"] for room in floors[1]["children"]] == ["Room 201"]


def test_space_detail_has_its_path(anon_client, tree):
    response = anon_client.get(f"/api/v1/spaces/{tree['room_201'].id}/")
    assert response.status_code == 200
    assert response.json()["path"] == _ids(tree["building"], tree["floor_2"])


@pytest.mark.parametrize("query", ["", "?tree=1"])
def test_space_list_query_count_does_not_grow_with_the_tree(
    anon_client, venue, tree, query, django_assert_num_queries
):
    # One query for the venue, one for all of its spaces: however deep the tree.
    with django_assert_num_queries(2):
        small = anon_client.get(f"/api/v1/venues/{venue.id}/spaces/{query}")
    parent = tree["room_201"]
    for depth in range(10):
        parent = make_space(venue, parent, name=f"Nested {depth}")
    with django_assert_num_queries(2):
        large = anon_client.get(f"/api/v1/venues/{venue.id}/spaces/{query}")
    assert small.status_code == large.status_code == 200
    assert len(str(large.json())) > len(str(small.json()))


def test_manager_creates_a_room_under_a_floor(manager, tree, venue):
    response = client_for(manager).post(
        "/api/v1/spaces/",
        {
            "venue_id": str(venue.id),
            "parent_id": str(tree["floor_2"].id),
            "name": "Room 202",
            "capacity": 12,
            "features": ["Projector", " wheelchair ", "projector"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["path"] == _ids(tree["building"], tree["floor_2"])
    assert body["features"] == ["projector", "wheelchair"]


def test_moving_a_space_updates_its_path_and_its_subtree(manager, tree, anon_client):
    response = client_for(manager).patch(
        f"/api/v1/spaces/{tree['floor_1'].id}/",
        {"parent_id": str(tree["floor_2"].id)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["path"] == _ids(tree["building"], tree["floor_2"])
    room = anon_client.get(f"/api/v1/spaces/{tree['room_101'].id}/").json()
    assert room["path"] == _ids(tree["building"], tree["floor_2"], tree["floor_1"])


def test_moving_a_space_to_the_root(manager, tree):
    response = client_for(manager).patch(
        f"/api/v1/spaces/{tree['floor_1'].id}/", {"parent_id": None}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["path"] == []
    assert response.json()["parent_id"] is None


@pytest.mark.parametrize("new_parent", ["building", "room_101", "floor_1"])
def test_moving_a_space_under_itself_or_a_descendant_is_a_cycle(
    manager, tree, new_parent
):
    target = tree["building"] if new_parent != "floor_1" else tree["floor_1"]
    response = client_for(manager).patch(
        f"/api/v1/spaces/{target.id}/",
        {"parent_id": str(tree[new_parent].id)},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://venueos.dev/problems/space-cycle"
    assert "parent_id" in body["errors"]
    target.refresh_from_db()
    assert target.parent_id == (
        tree["building"].id if target == tree["floor_1"] else None
    )


def test_parent_in_another_venue_is_rejected(manager, org, tree, venue):
    other_venue = make_venue(org)
    elsewhere = make_space(other_venue, name="Elsewhere")
    client = client_for(manager)
    moved = client.patch(
        f"/api/v1/spaces/{tree['room_101'].id}/",
        {"parent_id": str(elsewhere.id)},
        format="json",
    )
    created = client.post(
        "/api/v1/spaces/",
        {
            "venue_id": str(venue.id),
            "parent_id": str(elsewhere.id),
            "name": "Stray",
            "capacity": 5,
        },
        format="json",
    )
    for response in (moved, created):
        assert response.status_code == 400
        assert response["Content-Type"] == PROBLEM
        assert response.json()["type"] == "https://venueos.dev/problems/invalid-parent"
        assert "parent_id" in response.json()["errors"]
    assert Space.objects.get(pk=tree["room_101"].pk).parent_id == tree["floor_1"].id
    assert not Space.objects.filter(name="Stray").exists()


def test_unknown_parent_is_rejected(manager, venue):
    response = client_for(manager).post(
        "/api/v1/spaces/",
        {
            "venue_id": str(venue.id),
            "parent_id": "00000000-0000-0000-0000-000000000001",
            "name": "Orphan",
            "capacity": 5,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "parent_id" in response.json()["errors"]


def test_database_trigger_rejects_a_cycle_written_through_the_orm(tree):
    """The trigger is the guarantee; the service check only gives the message."""
    with pytest.raises(IntegrityError, match="space_cycle"), transaction.atomic():
        Space.objects.filter(pk=tree["building"].pk).update(parent=tree["room_101"])
    assert Space.objects.get(pk=tree["building"].pk).parent_id is None


def test_database_rejects_a_space_as_its_own_parent(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Space.objects.filter(pk=tree["floor_1"].pk).update(parent=tree["floor_1"])


def test_database_rejects_a_parent_in_another_venue(org, tree):
    elsewhere = make_space(make_venue(org), name="Elsewhere")
    with (
        pytest.raises(IntegrityError, match="space_parent_same_venue"),
        transaction.atomic(),
    ):
        Space.objects.filter(pk=tree["room_101"].pk).update(parent=elsewhere)


def test_deleting_a_space_with_children_is_a_conflict(manager, tree):
    response = client_for(manager).delete(f"/api/v1/spaces/{tree['floor_1'].id}/")
    assert response.status_code == 409
    assert response.json()["type"] == "https://venueos.dev/problems/space-has-children"
    assert Space.objects.filter(pk=tree["floor_1"].pk).exists()


def test_deleting_a_leaf_space_removes_it_from_the_tree(manager, tree, anon_client):
    client = client_for(manager)
    assert client.delete(f"/api/v1/spaces/{tree['room_101'].id}/").status_code == 204
    assert anon_client.get(f"/api/v1/spaces/{tree['room_101'].id}/").status_code == 404

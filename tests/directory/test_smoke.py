import pytest


@pytest.mark.django_db
def test_world_roles(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        roles = world.guardian.roles
    assert roles.child_ids == {world.pupil.id, world.sibling.id}
    assert roles.children_school_ids == {world.school.id, world.school_b.id}

import pytest
from django.http import Http404

from ent.ids import MAX_ID, int_id, int_id_or_404


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        ("42", 42),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
    ],
)
def test_positive_ids_fitting_a_bigint_are_parsed(value, expected):
    assert int_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "abc",
        "0",
        0,
        -3,
        "-3",
        "+3",
        " 3",
        "3 ",
        "1e3",
        "3.0",
        3.0,
        True,
        False,
        "٣",  # an Arabic-Indic digit: int() would accept it
        MAX_ID + 1,
        str(MAX_ID + 1),
        "9" * 400,
        [],
        b"3",
    ],
)
def test_anything_else_is_none(value):
    assert int_id(value) is None


def test_or_404_raises_for_what_is_not_an_id():
    assert int_id_or_404("7") == 7
    with pytest.raises(Http404):
        int_id_or_404("x")

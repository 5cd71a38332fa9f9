"""Button data: packed within 64 bytes, parsed strictly, forged data refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.callbacks import MAX_BYTES, InvalidCallback, Press, pack, parse


@pytest.mark.parametrize(
    ("press", "fields"),
    [
        (Press.LANGUAGE, ("en",)),
        (Press.SCHOOL, ("12-0af3",)),
        (Press.SCHOOL, ("skip",)),
        (Press.FEEDBACK, ("123456789012", "human")),
        (Press.PICK, ("42", "none")),
        (Press.RATE, ("T-0042", "y", "5")),
        (Press.FORGET, ("n",)),
    ],
)
def test_what_is_packed_parses_back(press: Press, fields: tuple[str, ...]):
    data = pack(press, *fields)
    assert len(data.encode()) <= MAX_BYTES
    parsed = parse(data)
    assert (parsed.press, parsed.fields) == (press, fields)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "1",
        "nope:1",
        "fb:12",  # a field missing
        "fb:12:ok:extra",
        "fb:abc:ok",
        "rate:T-0042:y:9",
        "rate:0042:y:5",
        "take:-1",
        "lang:ITA",
        "fb:1:ok" + "x" * 64,
    ],
)
def test_forged_or_garbled_data_is_refused(data: str):
    with pytest.raises(InvalidCallback):
        parse(data)


def test_packing_refuses_a_field_that_would_not_parse():
    with pytest.raises(ValueError):
        pack(Press.FEEDBACK, 1, "maybe")


@given(st.text(max_size=80))
def test_parse_never_fails_with_anything_but_invalid_callback(data: str):
    with contextlib.suppress(InvalidCallback):
        parse(data)

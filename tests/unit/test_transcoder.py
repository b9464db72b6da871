"""The msgspec transcoder gives back exactly what it was given: values, types and offsets."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Mapper
from hypothesis import given
from hypothesis import strategies as st

from service.transcoder import MsgspecTranscoder


class Stage(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FUNDED = 3


offsets = st.builds(
    dt.timezone,
    st.integers(min_value=-23 * 3600 - 59 * 60, max_value=23 * 3600 + 59 * 60).map(
        lambda seconds: dt.timedelta(seconds=seconds)
    ),
)
aware_datetimes = st.datetimes(timezones=offsets)
decimals = st.decimals(allow_nan=False)
hashable = st.one_of(st.text(), st.integers(), st.uuids(), st.dates(), st.sampled_from(Stage))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**70),
    st.text(),
    st.binary(),
    st.uuids(),
    aware_datetimes,
    st.dates(),
    decimals,
    st.sampled_from(Stage),
    st.frozensets(hashable, max_size=4),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text() | st.integers(-(2**63), 2**63), inner, max_size=4),
    ),
    max_leaves=20,
)


def same(left: Any, right: Any) -> bool:
    """Equal, of the same types all the way down, and with the same UTC offsets."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dt.datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    if isinstance(left, Decimal):
        return str(left) == str(right)  # also keeps the exponent and the sign of zero
    return bool(left == right)


@given(values)
def test_decode_of_encode_is_the_identity(value: Any) -> None:
    transcoder = MsgspecTranscoder()
    assert same(transcoder.decode(transcoder.encode({"value": value})), {"value": value})


@pytest.mark.parametrize("key", [uuid.uuid4(), dt.date(2025, 1, 1), (1, 2), 2**70])
def test_a_key_comes_back_with_its_own_type(key: object) -> None:
    transcoder = MsgspecTranscoder()
    (decoded,) = transcoder.decode(transcoder.encode({key: 1})).keys()
    assert decoded == key
    assert type(decoded) is type(key)


def test_offsets_survive_exactly() -> None:
    transcoder = MsgspecTranscoder()
    when = dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45)))
    back = transcoder.decode(transcoder.encode({"at": when}))["at"]
    assert back.utcoffset() == dt.timedelta(hours=5, minutes=45)
    assert back.isoformat() == when.isoformat()


class Application(Aggregate):
    """A real eventsourcing aggregate, to go through the library's ``Mapper``."""

    def __init__(self, title: str, stage: Stage) -> None:
        self.title = title
        self.stage = stage
        self.tags: tuple[str, ...] = ()

    @event("Tagged")
    def tag(self, tags: tuple[str, ...], amount: Decimal, on: dt.date) -> None:
        self.tags = tags


def test_a_real_aggregate_event_goes_through_the_mapper() -> None:
    mapper: Mapper[Any] = Mapper(transcoder=MsgspecTranscoder())
    application = Application(title="Oasis dates", stage=Stage.SUBMITTED)
    application.tag(tags=("dates", "irrigation"), amount=Decimal("1250.50"), on=dt.date(2025, 5, 1))
    created, tagged = application.collect_events()

    for original in (created, tagged):
        stored = mapper.to_stored_event(original)
        assert isinstance(stored.state, bytes)
        copy = mapper.to_domain_event(stored)
        assert type(copy) is type(original)
        assert same(copy.__dict__, original.__dict__)

    rebuilt = mapper.to_domain_event(mapper.to_stored_event(created)).mutate(None)
    rebuilt = mapper.to_domain_event(mapper.to_stored_event(tagged)).mutate(rebuilt)
    assert isinstance(rebuilt, Application)
    assert (rebuilt.title, rebuilt.stage, rebuilt.tags) == (
        "Oasis dates",
        Stage.SUBMITTED,
        ("dates", "irrigation"),
    )
    assert rebuilt.version == 2

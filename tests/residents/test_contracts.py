"""The resident register's public interface and the core pieces it stands on: one counter reserve,
one input error and its placement on a form, the batch look-up."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from modules.residents import public
from modules.residents.models import ResidentCounter
from modules.seals.models import SealCounter
from tenant_core import sequences
from tenant_core.errors import InputError, place_errors


def test_reserve_gives_consecutive_numbers_per_sequence_and_table(app, residents):
    with residents.session("fuji") as s:
        assert sequences.reserve(s, SealCounter, "test") == 1
        assert sequences.reserve(s, SealCounter, "test", 3) == 2
        assert sequences.reserve(s, SealCounter, "test") == 5
        assert sequences.reserve(s, SealCounter, "other") == 1
        # A sequence whose numbers already exist starts after them, then counts on.
        assert sequences.reserve(s, ResidentCounter, "test", 2, first=lambda _s: 41) == 41
        assert sequences.reserve(s, ResidentCounter, "test") == 43
        assert s.scalar(sa.select(SealCounter.value).where(SealCounter.name == "test")) == 5
    with residents.session("fujinomiya") as s:
        assert sequences.reserve(s, SealCounter, "test") == 1  # each city its own counters
    with residents.session("fuji") as s, pytest.raises(ValueError):
        sequences.reserve(s, SealCounter, "test", 0)


def test_place_errors_puts_messages_under_fields_and_returns_the_rest():
    class Field:
        def __init__(self) -> None:
            self.errors: list[str] = []

    class Form:
        name, atena_no = Field(), Field()

    form = Form()
    error = InputError({"name": "氏名は？", "": "全体", "atena_no": "宛名番号は？", "nope": "無い欄"})
    assert place_errors(form, error.errors, general=("atena_no",)) == ["全体", "宛名番号は？", "無い欄"]
    assert form.name.errors == ["氏名は？"] and form.atena_no.errors == []
    assert not InputError("x").refused and InputError("x", "f", refused=True).errors == {"f": "x"}


def test_batch_look_up_and_the_person_look_ups(app, residents):
    mine = [residents.add("fuji", family_name=f"一括{n}") for n in range(3)]
    # Each city numbers from 1: the other city's fifth person has a number this city does not hold.
    theirs = [residents.add("fujinomiya") for _ in range(5)][-1]
    with residents.session("fuji") as s:
        found = public.get_persons(s, [*mine, theirs, mine[0], 0, -5, 2**40])
        assert sorted(found) == sorted(mine)  # the other city's and impossible numbers: absent
        assert found[mine[1]].family_name == "一括1"
        assert public.get_persons(s, []) == {}
        assert public.get_person(s, theirs) is None and public.get_person(s, None) is None
        assert public.require_person(s, mine[0]).atena_no == mine[0]
        with pytest.raises(public.PersonNotFound):
            public.require_person(s, theirs)
        person = found[mine[0]]
        assert public.is_resident(person)
        head = public.household_head(s, person.household_id)
        assert head is not None and head.atena_no == mine[0]
        assert public.household_of(s, person).id == person.household_id
    assert public.parse_atena(" 12 ") == 12 and public.parse_atena("x") is None
    assert public.parse_atena(str(2**31)) is None

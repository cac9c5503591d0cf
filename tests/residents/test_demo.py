"""Synthetic residents: plausible households, valid カナ and 個人番号, the CLI and make run's loader."""

import sqlalchemy as sa

from modules.residents import kana, mynumber, services
from modules.residents.bulk import Generator, demo_mynumber, load_residents
from modules.residents.demo import load_demo
from modules.residents.models import HEAD, Household, Person, ResidentEvent
from tenant_core.cli import main
from tenant_core.extensions import get_db, get_settings


def test_generated_households_are_plausible():
    gen = Generator("fuji", 1)
    for _ in range(300):
        drafts = gen.household()
        heads = [d for d in drafts if d.values["relationship"] == HEAD]
        assert len(heads) == 1 and drafts[0].values["relationship"] == HEAD
        assert len({d.values["family_name"] for d in drafts}) == 1
        assert len({(d.values["town"], d.values["banchi"]) for d in drafts}) == 1
        for d in drafts:
            assert kana.is_katakana(d.values["family_kana"] + d.values["given_kana"])
            assert d.values["birth_date"] <= d.values["resident_since"] <= gen.today
            assert d.values["town"] in gen.towns


def test_demo_mynumbers_are_valid_and_distinct():
    numbers = [demo_mynumber(n) for n in range(1, 20001)]
    assert len(set(numbers)) == len(numbers)
    assert all(mynumber.is_valid(n) for n in numbers)


def test_bulk_load_makes_people_with_history_and_heads(app, residents):
    db = get_db(app)
    added = load_residents(db, app.config["SECRET_KEY"], "fujinomiya", 250, batch_people=100)
    assert added == 250
    with residents.session("fujinomiya") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 250
        assert s.scalar(sa.select(sa.func.count()).select_from(ResidentEvent)) == 250
        for h in s.scalars(sa.select(Household)):
            head = s.get(Person, h.head_person_id)
            assert head is not None and head.relationship == HEAD and head.household_id == h.id
        p = s.scalars(sa.select(Person).order_by(Person.id)).first()
        assert services.person_on(s, p.id, p.resident_since).family_name == p.family_name
        assert residents.vault("fujinomiya").decrypt(p.mynumber_token) == demo_mynumber(p.atena_no)
        atenas = s.scalars(sa.select(Person.atena_no).order_by(Person.atena_no)).all()
        assert atenas == list(range(atenas[0], atenas[0] + 250))
        # The service keeps counting after the bulk load.
    assert residents.add("fujinomiya") == atenas[-1] + 1


def test_make_run_loader_is_idempotent(app, residents):
    db = get_db(app)
    lines = list(load_demo(db, get_settings(app), ["fuji"], count=40))
    assert lines == ["residents fuji: 40 demo residents added"]
    assert list(load_demo(db, get_settings(app), ["fuji"], count=40)) == [
        "residents fuji: 40 already registered"
    ]


def test_cli_loads_with_progress(app, residents):
    result = app.test_cli_runner().invoke(
        main, ["demo", "residents", "fuji", "--count", "120", "--batch", "100"]
    )
    assert result.exit_code == 0, result.output
    assert "fuji: 120 residents added" in result.output and "/ 120" in result.output
    bad = app.test_cli_runner().invoke(main, ["demo", "residents", "numazu", "--count", "5"])
    assert bad.exit_code == 1 and "numazu" in bad.output

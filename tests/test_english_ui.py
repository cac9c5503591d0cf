"""The English UI: a page of every module, switched to English, shows no Japanese outside data.

"Data" is what people typed or the city declared and the database stores: names, addresses, item names,
parameter values. Every string column of every table is read back after the pages' data is made, and
those values are removed from the page before looking for Japanese; what remains must be translated UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tenant_core.auth.roles import city_roles
from tenant_core.db import SharedBase, TenantBase
from tenant_core.extensions import get_db
from tenant_core.params.registry import registry
from tests import factories
from tests.certificates.conftest import People
from tests.conftest import sign_in
from tests.costs.conftest import costs_demo  # noqa: F401  (a fixture used below)
from tests.seals.conftest import demo_params  # noqa: F401  (a fixture used below)

# The help text of the カナ search names the characters it folds: they are the subject, not UI.
EXAMPLES = ("ャュョッ", "ー")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")
# Attributes a person reads (or hears, with a screen reader) besides the text.
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (tag == "input" and name == "value")):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings_in(v)


def _stored_strings(app: Flask, schemas: list[str]) -> list[str]:
    """Every value of every text or JSON column, shared and of the given cities, and every declared
    parameter's default: what counts as data (the wording of a certificate is the city's, not the UI's)."""
    found: set[str] = {v for p in registry() for v in _strings_in(p.default) if JAPANESE.search(v)}
    db = get_db(app)
    for base, tenant_schemas in ((SharedBase, [None]), (TenantBase, schemas)):
        for schema in tenant_schemas:
            with db.session(schema) as session:
                for table in base.metadata.sorted_tables:
                    columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
                    if not columns:
                        continue
                    for row in session.execute(sa.select(*columns).limit(2000)):
                        found.update(v for v in _strings_in(list(row)) if JAPANESE.search(v))
    # Longest first, so that a name is removed whole before a shorter value inside it.
    return sorted(found, key=len, reverse=True)


def japanese_outside_data(html: str, data: list[str]) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for example in EXAMPLES:
        text = text.replace(f"({example})", " ")
    # Whole values first, then their parts (a name's family and given names are also shown apart),
    # each longest first so that a value is never cut by a shorter one inside it.
    pieces = sorted({p for v in data for p in v.split() if len(p) > 1}, key=len, reverse=True)
    for value in [*data, *pieces]:
        text = text.replace(value, " ")
    # Each run with the words around it, so that a failure says where it is.
    return sorted(
        {f"{m.group()} in {text[max(0, m.start() - 25) : m.end() + 25]!r}" for m in JAPANESE.finditer(text)}
    )


@pytest.fixture
def english_pages(app: Flask, db_connection: Any, costs_demo: list[str], demo_params: None) -> dict[str, Any]:  # noqa: F811
    people = People(app)
    head = people.add("fuji")
    people.add("fuji", household_no=people.household_no("fuji", head), given_name="花子", given_kana="ハナコ")
    registration = people.register("fuji", head)
    roles = [r.name for r in city_roles()]
    factories.user(get_db(app), "fuji", "everyone", roles, display_name="全業務 担当")
    return {"atena": head, "household": people.household_no("fuji", head), "registration": registration}


PAGES = {
    "core": ["/fuji/", "/fuji/jobs/"],
    "residents": [
        "/fuji/residents/",
        "/fuji/residents/{atena}",
        "/fuji/residents/new",
        "/fuji/residents/households/{household}",
    ],
    "seals": ["/fuji/seals/", "/fuji/seals/register", "/fuji/seals/r/{registration}"],
    "certificates": ["/fuji/certificates/", "/fuji/certificates/new?atena={atena}"],
    "inquiry": ["/fuji/inquiry/"],
    "costs": ["/fuji/costs/", "/fuji/costs/manage/"],
    "params": [
        "/fuji/admin/params/",
        "/fuji/admin/params/compare",
        "/fuji/admin/params/certificates.fee.juminhyo",
    ],
    "admin": ["/fuji/admin/users/", "/fuji/admin/users/new", "/fuji/admin/audit/"],
}


@pytest.mark.parametrize("module", sorted(PAGES))
def test_every_page_of_a_module_speaks_english(app, english_pages, module):
    client = app.test_client()
    assert sign_in(client, "fuji", "everyone").status_code == 302
    data = _stored_strings(app, ["t_fuji"])
    for path in PAGES[module]:
        url = path.format(**english_pages)
        response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert response.status_code == 200, url
        assert japanese_outside_data(response.get_data(as_text=True), data) == [], url


def test_the_sign_in_page_speaks_english(client):
    body = client.get("/fuji/login?lang=en").get_data(as_text=True)
    assert japanese_outside_data(body, ["富士市"]) == []

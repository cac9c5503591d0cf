"""The contracts between modules: only public.py crosses a module's border; the seal list reads its
names in one query; the seal labels follow the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from modules.seals.public import status_label
from tenant_core.extensions import get_db

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("residents", "seals", "certificates", "inquiry")
_IMPORT = re.compile(r"^\s*(?:from|import)\s+modules\.(\w+)(\.\w+)?", re.MULTILINE)
_FROM_PACKAGE = re.compile(r"^\s*from\s+modules\.(\w+)\s+import\s+([\w ,]+)", re.MULTILINE)


def test_modules_import_only_each_others_public_interface():
    crossings = []
    for name in MODULES:
        for path in (ROOT / "modules" / name).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for other, part in _IMPORT.findall(text):
                if other != name and part and part != ".public":
                    crossings.append(f"{path.relative_to(ROOT)}: modules.{other}{part}")
            for other, names in _FROM_PACKAGE.findall(text):
                wanted = {n.split(" as ")[0].strip() for n in names.split(",")}
                if other != name and wanted - {"public"}:
                    crossings.append(f"{path.relative_to(ROOT)}: from modules.{other} import {names}")
    assert crossings == []


def test_the_register_list_reads_its_names_in_one_query(app, staff_client, seals):
    people = [seals.add("fuji", family_name=f"印{n}", family_kana="イン") for n in range(4)]
    for atena in people:
        seals.register("fuji", atena)
    client = staff_client("fuji", "clerk")
    client.get("/fuji/seals/")  # warm up: sign-in, parameters, first-use caches
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_db(app).engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/fuji/seals/").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert all(f"印{n}" in page for n in range(4))
    person_reads = [s for s in statements if re.search(r"FROM\s+\S*persons\b", s)]
    assert len(person_reads) == 1, person_reads


def test_seal_states_read_in_the_readers_language(app):
    with app.test_request_context("/?lang=en"):
        assert status_label("registered") == "Registered"
    with app.test_request_context("/"):
        assert status_label("registered") == "登録中"
    assert status_label("unknown") == "unknown"

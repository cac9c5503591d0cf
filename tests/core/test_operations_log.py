"""The operations logs carry no personal data: not the application's JSON lines, not gunicorn's access log.

A clerk searches and registers residents through the real pages and API; the captured records,
formatted as they are written in production, and gunicorn's access-log format applied to the same
requests, contain neither the residents' names nor the search terms nor their birth dates.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from tenant_core.config import PROJECT_ROOT
from tenant_core.logs import JsonFormatter, RequestContextFilter
from tests.conftest import csrf_token
from tests.residents.conftest import Residents

SECRETS = [
    "佐藤",
    "恭子",
    "サトウ",
    "ｻﾄｳ",
    "キョウコ",
    "1984-07-21",
    "吉原",
    "葛城",
    "カツラギ",
    "ﾊｼﾞﾒ",
    "1990-01-02",
]


@pytest.fixture
def residents(app, db_connection) -> Residents:
    return Residents(app)


def _gunicorn_line(fmt: str, method: str, path: str, query: str, status: int) -> str:
    from gunicorn.glogging import Logger

    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "Mozilla/5.0",
        "HTTP_REFERER": f"http://kyodo.example/fuji/residents/?{query}",
    }
    response = SimpleNamespace(status=f"{status} OK", sent=1234, headers=[("X-Request-Id", "abc123")])
    request = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])
    logger = Logger.__new__(Logger)  # only the formatting: no configuration, no files
    atoms = Logger.atoms(logger, response, request, environ, dt.timedelta(milliseconds=12))
    return fmt % atoms


def test_no_resident_name_or_search_term_reaches_the_operations_logs(app, staff_client, residents, caplog):
    residents.add(
        "fuji",
        family_kana="サトウ",
        given_kana="キョウコ",
        family_name="佐藤",
        given_name="恭子",
        birth_date=dt.date(1984, 7, 21),
    )
    client = staff_client("fuji", "clerk")
    searches = [
        "kana=ｻﾄｳ",
        "name=佐藤",
        "birth_date=1984-07-21",
        "address=吉原",
        "kana=サトウ&name=佐藤恭子&birth_date=1984-07-21",
    ]
    requests = []
    with caplog.at_level(logging.DEBUG):
        for query in searches:
            assert client.get(f"/fuji/residents/?{query}").status_code in (200, 422)
            assert client.get(f"/fuji/residents/api/search?{query}").status_code in (200, 400)
            requests += [("GET", "/fuji/residents/", query), ("GET", "/fuji/residents/api/search", query)]
        form = {
            "kind": "move_in",
            "family_name": "葛城",
            "given_name": "一",
            "family_kana": "ｶﾂﾗｷﾞ",
            "given_kana": "ﾊｼﾞﾒ",
            "birth_date": "1990-01-02",
            "sex": "male",
            "relationship": "世帯主",
            "town": "吉原",
            "banchi": "2-3",
            "effective_on": "2024-04-01",
            "mynumber": "",
            "csrf_token": csrf_token(client, "/fuji/residents/new"),
        }
        registered = client.post("/fuji/residents/new", data=form)
        assert registered.status_code == 302
        assert client.get(registered.headers["Location"]).status_code == 200
        requests.append(("POST", "/fuji/residents/new", ""))

    formatter, context = JsonFormatter(), RequestContextFilter()
    lines = []
    for record in caplog.records:
        context.filter(record)
        lines.append(formatter.format(record))
    request_lines = [json.loads(line) for line in lines if '"logger": "kyodo.request"' in line]
    assert len(request_lines) >= len(requests)  # every request was logged...
    assert all(e["tenant"] == "fuji" and len(e["request_id"]) >= 16 for e in request_lines)
    assert {"/<tenant>/residents/", "/<tenant>/residents/api/search"} <= {e["route"] for e in request_lines}
    text = "\n".join(lines) + caplog.text
    assert [s for s in SECRETS if s in text] == []  # ...and none of them names a resident or a term

    settings = runpy.run_path(str(Path(PROJECT_ROOT, "ops", "gunicorn.conf.py")))
    access = [_gunicorn_line(settings["access_log_format"], m, p, q, 200) for m, p, q in requests]
    assert access[0].startswith("127.0.0.1 [") and '"GET /fuji/residents/ HTTP/1.1" 200' in access[0]
    assert "abc123" in access[0]  # the request id joins it to the application's line
    joined = "\n".join(access)
    assert [s for s in SECRETS if s in joined] == []
    # The same sample with gunicorn's default format would have written them: the test can see a leak.
    from gunicorn.config import AccessLogFormat

    leaky = "\n".join(_gunicorn_line(AccessLogFormat.default, m, p, q, 200) for m, p, q in requests)
    assert "ｻﾄｳ" in leaky or "%EF%BD%BB" in leaky or "1984-07-21" in leaky

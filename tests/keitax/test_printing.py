"""Mass printing: 通番, boxes of N, the 発送簿 in the PDF's order, 引き抜き, re-print, a killed run resumed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.keitax.notices import NOTICE
from tenant_core.errors import InputError
from tenant_core.extensions import get_db, get_settings
from tenant_core.jobs import actions
from tenant_core.models import JobRecord, JobState
from tenant_core.printing import barcode, render, services, tasks
from tenant_core.printing.models import PrintItem, PrintRun

LINE = re.compile(r"KEI-001 No\.(\d{7}) BOX (\d+)/(\d+) \((\d{7})-(\d{7})\) KEY (\S+)")
TOWNS = ["吉原", "今泉", "伝法", "中央町", "本町", "永田町", "青島町"]


def _subjects(count: int):
    for i in range(count):
        town = TOWNS[i % len(TOWNS)]
        yield services.Subject(
            key=f"K{i:07d}",
            name=f"納税 者{i}",
            postcode=f"417-{(i * 7919) % 97:04d}",
            address=f"静岡県富士市{town}{i % 50 + 1}番地",
            address_after_town=f"{i % 50 + 1}番地",
            payload={
                "city": "富士市",
                "year": 2027,
                "atena_no": i + 1,
                "plate": f"富士 {i}",
                "class": "moped_50",
                "class_label": "原動機付自転車（50cc以下）",
                "year_text": "令和9年度",
                "due_text": "令和9年5月31日",
                "rule": "standard",
                "rate": 2000,
                "reduction": 0,
                "amount": 2000,
                "nofu_no": f"K{i:07d}",
                "due_on": "2027-05-31",
                "correction": False,
            },
        )


def _make_run(tax, slug, count, box_sheets, barcode_on=False, parts=1):
    with tax.city(slug) as s:
        run = services.create_run(
            s,
            NOTICE.code,
            _subjects(count),
            title="試験",
            by="test:tax",
            box_sheets=box_sheets,
            barcode=barcode_on,
        )
        job_ids = tasks.start(s, run, g.tenant, parts)
        return run.id, job_ids


def _folder(app, slug, run_id):
    from tenant_core.tenancy import find_tenant

    with app.app_context():
        return services.run_dir(get_settings(app).var_dir, find_tenant(slug), run_id)


# The same line as written in a page's content stream (a PDF string escapes its parentheses).
RAW_LINE = re.compile(rb"\((KEI-001 No\.\d{7} BOX \d+/\d+ \\\(\d{7}-\d{7}\\\) KEY [^)\s]+)\) Tj")


def _pdf_lines(path: Path) -> list[tuple]:
    """The machine-readable line of every sheet, read from the PDF's pages: from each page's text
    stream (fast), and by full text extraction for the first and last sheet of the box (slow)."""
    found = []
    pages = PdfReader(str(path)).pages
    for number, page in enumerate(pages):
        raw = RAW_LINE.search(page.get_contents().get_data())
        assert raw, "a sheet without its 通番 line"
        text = raw.group(1).replace(rb"\(", b"(").replace(rb"\)", b")").decode()
        if number in (0, len(pages) - 1):
            assert text in page.extract_text()
        match = LINE.search(text)
        assert match
        found.append((int(match.group(1)), int(match.group(2)), int(match.group(3)), match.group(6)))
    return found


def test_customer_barcode_follows_japan_posts_example():
    # Japan Post's manual: 〒100-0013 東京都千代田区霞が関1丁目3番2号 郵便プラザ503室 -> check digit 9.
    chars = barcode.characters("100-0013", "1丁目3番2号 郵便プラザ503室")
    assert chars == [*"1000013", *"1-3-2-503", "CC4", "CC4", "CC4", "CC4", "9"]
    assert barcode.address_number("6-7 LプラザB 106") == "6-7LB106"
    pattern = barcode.bar_pattern("100-0013", "1-3-2-503")
    assert pattern.startswith("13") and pattern.endswith("31") and len(pattern) == 2 + 21 * 3 + 2


def test_an_empty_run_is_refused_and_leaves_nothing(tax):
    with tax.city("fuji") as s:
        with pytest.raises(InputError, match="対象がありません"):
            services.create_run(s, NOTICE.code, iter(()), title="空", by="t", box_sheets=100, barcode=False)
        assert s.scalar(sa.select(sa.func.count()).select_from(PrintRun)) == 0


def test_a_run_of_5000_documents_killed_and_resumed(app, tax, monkeypatch):
    """通番 contiguous, boxes of N, the 発送簿 in the PDF's order, a pulled document counted, and a run
    killed after two boxes resumed without any 通番 printed twice."""
    real = render.render_box
    calls = []

    def dies_after_two(session, run, kind, folder, box_no):
        calls.append(box_no)
        if box_no == 3 and calls.count(3) == 1:
            raise SystemExit("killed")  # as a worker killed in the middle of box 3
        return real(session, run, kind, folder, box_no)

    monkeypatch.setattr(render, "render_box", dies_after_two)
    with pytest.raises(SystemExit):
        _make_run(tax, "fuji", 5000, 1000, barcode_on=True)
    with app.app_context(), get_db(app).session() as s:
        record = s.scalar(sa.select(JobRecord).order_by(JobRecord.created_at.desc()))
        job_id = record.id
        # A killed worker leaves its run "started"; the reaper (here the operator) marks it failed.
        assert record.state == JobState.started and record.progress_state == {"done": [1, 2]}
        actions.mark_failed(s, record, "test:operator", "worker killed")
        s.commit()
    run_id = int(record.args[0])
    folder = _folder(app, "fuji", run_id)
    assert sorted(p.name for p in folder.glob("box-*.pdf")) == ["box-001.pdf", "box-002.pdf"]
    with app.app_context(), get_db(app).session() as s:  # the operator retries; it resumes at box 3
        actions.retry(s, s.get(JobRecord, job_id), "test:operator")
        s.commit()
    assert calls == [1, 2, 3, 3, 4, 5]
    with get_db(app).session() as s:
        assert s.get(JobRecord, job_id).state == JobState.finished
    with tax.city("fuji") as s:
        run = services.get_run(s, run_id)
        assert (run.total, run.boxes, run.boxes_done, run.state) == (5000, 5, 5, "done")
        seqs = s.scalars(
            sa.select(PrintItem.seq).where(PrintItem.run_id == run_id).order_by(PrintItem.seq)
        ).all()
        assert seqs == list(range(1, 5001))
        sorted_keys = s.execute(
            sa.select(PrintItem.postcode, PrintItem.address, PrintItem.key)
            .where(PrintItem.run_id == run_id)
            .order_by(PrintItem.seq)
        ).all()
        assert sorted_keys == sorted(sorted_keys)  # 郵便番号, then address
    pages = []
    for n in range(1, 6):
        lines = _pdf_lines(folder / f"box-{n:03d}.pdf")
        assert (
            len(lines) == 1000 and {line[1] for line in lines} == {n} and {line[2] for line in lines} == {5}
        )
        pages += lines
    assert [p[0] for p in pages] == list(range(1, 5001))  # no 通番 twice, none missing
    # The 発送簿 (Excel) lists the same documents in exactly the PDF's order, and so does its PDF.
    book = load_workbook(folder / "hassobo.xlsx", read_only=True)
    rows = [r for r in book.active.iter_rows(min_row=3, values_only=True)]
    assert [(r[0], r[1], r[2]) for r in rows] == [(p[0], p[1], p[3]) for p in pages]
    register_text = "\n".join(page.extract_text() for page in PdfReader(str(folder / "hassobo.pdf")).pages)
    assert re.findall(r"\b(\d{7})\b", register_text)[:5000] == [f"{p[0]:07d}" for p in pages]
    # 引き抜き by 通番 with a reason; the summary counts it; a re-print keeps its 通番.
    with tax.city("fuji") as s:
        run = services.get_run(s, run_id)
        item = services.pull(s, run, 2345, "宛先不明のため", "test:tax")
        assert (item.box_no, services.position(run, item)) == (3, 345)
        with pytest.raises(InputError):
            services.pull(s, run, 2345, "二度目", "test:tax")
        with pytest.raises(InputError) as bad:
            services.pull(s, run, 9999, "", "test:tax")
        assert set(bad.value.errors) == {"seq", "reason"}
        summary = services.summary(s, run)
        assert (summary.total, summary.pulled, summary.sent) == (5000, 1, 4999)
        body = render.reprint(run, NOTICE, services.item_by_seq(s, run, 2345), folder)
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert LINE.search(text).group(1) == "0002345"


def test_runs_files_and_jobs_stay_in_their_city(app, tax):
    run_id, _job = _make_run(tax, "fuji", 12, 5)
    with tax.city("fujinomiya") as s:
        assert services.get_run(s, run_id) is None or services.get_run(s, run_id).title != "試験"
    folder = _folder(app, "fuji", run_id)
    assert "/cities/fuji/printing/" in folder.as_posix() and (folder / "box-003.pdf").exists()
    # The render job of the other city cannot reach this run: the id names nothing there.
    other = tax.run_job("fujinomiya", tasks.render_run, run_id + 1000)
    assert other.state == JobState.failed and "not a run of fujinomiya" in other.error


def test_a_run_drawn_by_two_jobs_writes_every_box_once_and_one_register(app, tax):
    run_id, job_ids = _make_run(tax, "fuji", 13, 2, parts=2)
    assert len(job_ids) == 2
    with app.app_context(), get_db(app).session() as s:
        records = [s.get(JobRecord, j) for j in job_ids]
        assert [r.state for r in records] == [JobState.finished, JobState.finished]
        assert [r.progress_state["done"] for r in records] == [[1, 3, 5, 7], [2, 4, 6]]
        assert [bool(r.progress_state.get("register")) for r in records] == [False, True]
    folder = _folder(app, "fuji", run_id)
    assert sorted(p.name for p in folder.glob("box-*.pdf")) == [f"box-{n:03d}.pdf" for n in range(1, 8)]
    assert (folder / "hassobo.xlsx").exists() and (folder / "hassobo.pdf").exists()
    pages = [line for n in range(1, 8) for line in _pdf_lines(folder / f"box-{n:03d}.pdf")]
    assert [p[0] for p in pages] == list(range(1, 14))
    with tax.city("fuji") as s:
        run = services.get_run(s, run_id)
        assert (run.state, run.boxes_done, run.boxes) == ("done", 7, 7)

"""`costs allocate`: the issue's example, CSV, the documented examples and every kind of bad input."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from modules.costs.allocation import METHODS
from modules.costs.cli import costs

DOC = Path(__file__).resolve().parents[2] / "docs" / "costs-allocate.md"

EXAMPLE = {
    "members": [
        {"code": "222101", "name": "富士市", "bases": {"population": 254203, "standalone": 4824}},
        {"code": "222071", "name": "富士宮市", "bases": {"population": 133641, "standalone": 3620}},
    ],
    "items": [
        {
            "name": "共同構築費",
            "amount": 6788,
            "rule": {"method": "proportional", "basis": "standalone", "ratio_precision": 3},
        },
        {
            "name": "運用費",
            "amount": 120000000,
            "rule": {
                "method": "mixed",
                "parts": [
                    {"weight": "0.2", "method": "equal"},
                    {"weight": "0.8", "method": "proportional", "basis": "population"},
                ],
                "unit": 1000,
                "remainder": "largest",
            },
        },
    ],
}


def run(tmp_path: Path, data: object, *args: str):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return CliRunner().invoke(costs, ["allocate", "--input", str(path), *args])


def shares_of(output: dict) -> dict[str, dict[str, int]]:
    return {item["name"]: {s["code"]: s["amount"] for s in item["shares"]} for item in output["items"]}


def test_issue_example(tmp_path):
    result = run(tmp_path, EXAMPLE)
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert shares_of(output) == {
        "共同構築費": {"222101": 3876, "222071": 2912},
        "運用費": {"222101": 74921000, "222071": 45079000},
    }
    build = output["items"][0]
    assert {s["code"]: s["ratio"] for s in build["shares"]} == {"222101": "0.571", "222071": "0.429"}
    assert build["total"] == 6788
    assert output["items"][1]["total"] == 120000000
    assert output["members"] == [
        {"code": "222071", "name": "富士宮市", "total": 2912 + 45079000},
        {"code": "222101", "name": "富士市", "total": 3876 + 74921000},
    ]
    assert all(isinstance(s["amount"], int) for item in output["items"] for s in item["shares"])
    assert "富士市" in result.stdout  # not \u escapes
    assert "最大剰余法" in build["shares"][1]["explanation"]["ja"]
    assert "largest remainder" in build["shares"][1]["explanation"]["en"]


def test_member_order_does_not_change_the_output(tmp_path):
    reversed_members = dict(EXAMPLE, members=EXAMPLE["members"][::-1])
    assert run(tmp_path, reversed_members).stdout == run(tmp_path, EXAMPLE).stdout


def test_csv(tmp_path):
    result = run(tmp_path, EXAMPLE, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    shares = {(r["item"], r["code"]): int(r["amount"]) for r in rows if r["row"] == "share"}
    assert shares == {
        ("共同構築費", "222101"): 3876,
        ("共同構築費", "222071"): 2912,
        ("運用費", "222101"): 74921000,
        ("運用費", "222071"): 45079000,
    }
    assert [(r["item"], r["amount"]) for r in rows if r["row"] == "item_total"] == [
        ("共同構築費", "6788"),
        ("運用費", "120000000"),
    ]
    assert {r["code"]: int(r["amount"]) for r in rows if r["row"] == "member_total"} == {
        "222101": 74924876,
        "222071": 45081912,
    }
    assert [r["amount"] for r in rows if r["row"] == "total"] == ["120006788"]
    assert next(r for r in rows if r["code"] == "222101")["ratio"] == "0.571"


def test_standard_input():
    result = CliRunner().invoke(costs, ["allocate", "--input", "-"], input=json.dumps(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    assert shares_of(json.loads(result.stdout))["共同構築費"] == {"222101": 3876, "222071": 2912}


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(json.dumps(EXAMPLE, ensure_ascii=False).encode("utf-8-sig"))
    assert CliRunner().invoke(costs, ["allocate", "--input", str(path)]).exit_code == 0


def test_decimal_numbers_are_read_exactly(tmp_path):
    data = copy.deepcopy(EXAMPLE)
    data["items"][1]["rule"]["parts"][0]["weight"] = 0.2  # a JSON number, not a string
    data["items"][1]["rule"]["parts"][1]["weight"] = 0.8
    assert shares_of(json.loads(run(tmp_path, data).stdout)) == shares_of(
        json.loads(run(tmp_path, EXAMPLE).stdout)
    )


def doc_inputs() -> list[dict]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    parsed = [json.loads(block) for block in blocks]
    return [p for p in parsed if all("rule" in item for item in p.get("items", [{}]))]


def test_documented_examples_run_and_cover_every_method(tmp_path):
    methods = set()
    for data in doc_inputs():
        result = run(tmp_path, data)
        assert result.exit_code == 0, result.stderr
        methods |= {item["rule"]["method"] for item in data["items"]}
    assert methods == set(METHODS)


def test_documented_output_is_the_output(tmp_path):
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    documented = next(json.loads(b) for b in blocks if '"shares"' in b)
    assert json.loads(run(tmp_path, EXAMPLE).stdout) == documented


# --- bad input ---------------------------------------------------------------------------------------------


def bad(tmp_path: Path, data: object) -> str:
    result = run(tmp_path, data)
    assert result.exit_code == 2
    assert result.stdout == ""
    return result.stderr


def with_item(amount: object = 100, **rule: object) -> dict:
    data = copy.deepcopy(EXAMPLE)
    data["items"] = [{"name": "運用費", "amount": amount, "rule": rule}]
    return data


def test_negative_amount(tmp_path):
    message = bad(tmp_path, with_item(-5, method="equal"))
    assert 'item "運用費"' in message
    assert "amount" in message


def test_amount_not_whole(tmp_path):
    assert "whole number" in bad(tmp_path, with_item("100.5", method="equal"))


def test_weights_not_summing_to_one(tmp_path):
    parts = [
        {"weight": "0.2", "method": "equal"},
        {"weight": "0.7", "method": "proportional", "basis": "population"},
    ]
    message = bad(tmp_path, with_item(method="mixed", parts=parts))
    assert message == 'error: item "運用費": the weights of the parts sum to 0.9, not 1\n'


def test_missing_basis(tmp_path):
    data = with_item(method="proportional", basis="population")
    del data["members"][1]["bases"]["population"]
    assert bad(tmp_path, data) == 'error: item "運用費": member 222071 (富士宮市): no basis "population"\n'


def test_total_basis_of_zero(tmp_path):
    data = with_item(method="proportional", basis="usage")
    for member in data["members"]:
        member["bases"]["usage"] = 0
    message = bad(tmp_path, data)
    assert 'item "運用費"' in message
    assert 'basis "usage" totals zero' in message


def test_unknown_method(tmp_path):
    message = bad(tmp_path, with_item(method="lottery"))
    assert 'item "運用費": rule.method: Must be one of' in message


def test_unknown_member(tmp_path):
    message = bad(tmp_path, with_item(method="fixed", ratios={"222101": "0.5", "222999": "0.5"}))
    assert message == 'error: item "運用費": member 222999: has a fixed ratio but is not among the members\n'
    message = bad(tmp_path, with_item(method="equal", remainder="131016"))
    assert "member 131016" in message


def test_member_errors_name_the_member(tmp_path):
    data = copy.deepcopy(EXAMPLE)
    data["members"][1]["bases"]["population"] = -1
    assert 'member 222071 (富士宮市): bases["population"]' in bad(tmp_path, data)
    data = copy.deepcopy(EXAMPLE)
    data["members"][1]["code"] = "222101"
    assert "222101 is listed twice" in bad(tmp_path, data)


def test_every_problem_is_reported(tmp_path):
    data = with_item(-1, method="mixed", parts=[{"weight": 2, "method": "shapley"}])
    lines = bad(tmp_path, data).splitlines()
    assert len(lines) == 3
    assert all(line.startswith('error: item "運用費": ') for line in lines)


def test_field_the_method_does_not_use(tmp_path):
    assert '"basis" is not used by method "equal"' in bad(
        tmp_path, with_item(method="equal", basis="population")
    )


def test_shapley_missing_coalition(tmp_path):
    data = next(d for d in doc_inputs() if d["items"][0]["rule"]["method"] == "shapley")
    data["items"][0]["rule"]["coalitions"] = [
        c for c in data["items"][0]["rule"]["coalitions"] if sorted(c["members"]) != ["222071", "222101"]
    ]
    assert "the cost of coalition {222071, 222101} is missing" in bad(tmp_path, data)


def test_misspelt_field(tmp_path):
    assert "metod" in bad(tmp_path, with_item(metod="equal"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"members": [{"code": "222101", "name": "富士市"}], "items": []}'.encode("shift_jis"), "not UTF-8"),
        (b'{"members": [', "not valid JSON"),
        (b'{"members": [{"code": "1", "bases": {"population": NaN}}], "items": []}', "not valid JSON"),
        (b"[]", "input"),
    ],
)
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    result = CliRunner().invoke(costs, ["allocate", "--input", str(path)])
    assert result.exit_code == 2
    assert expected in result.stderr


def test_missing_file(tmp_path):
    result = CliRunner().invoke(costs, ["allocate", "--input", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_readme_rule_example_runs_and_covers_every_method(tmp_path):
    """The one-rule-per-method table in the README must stay true."""
    text = README.read_text(encoding="utf-8")
    rules = [json.loads(m) for m in re.findall(r"^\| [^|]+ \| `(\{.*?\})` \|", text, flags=re.M)]
    assert {r["method"] for r in rules} == set(METHODS)
    members = copy.deepcopy(EXAMPLE["members"])
    for rule in rules:
        amount = 6788 if rule["method"] in ("shapley", "scrb", "nucleolus") else 10_000_000
        data = {"members": members, "items": [{"name": rule["method"], "amount": amount, "rule": rule}]}
        path = tmp_path / "in.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        result = CliRunner().invoke(costs, ["allocate", "--input", str(path)])
        assert result.exit_code == 0, (rule, result.output)
        item = json.loads(result.output)["items"][0]
        assert sum(s["amount"] for s in item["shares"]) + item["cut_off"] == amount


# --- foreign currencies and the fairness report --------------------------------------------------------------


def test_usd_items_with_rate_scenarios(tmp_path):
    data = {
        "members": EXAMPLE["members"],
        "rates": {"USD": "150"},
        "rate_scenarios": {"USD": ["139", "150", "160"]},
        "items": [
            {"name": "利用料", "amount": "100.01", "currency": "USD", "rule": {"method": "equal"}},
            {
                "name": "4月分",
                "amount": "10",
                "currency": "USD",
                "rate": "151.37",
                "rule": {"method": "equal"},
            },
        ],
    }
    result = run(tmp_path, data)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["items"][0]["amount"] == 15001  # 100.01 x 150 = 15,001.5, the fraction of a yen cut
    assert out["items"][0]["conversion"]["exact_yen"] == "15001.5"
    assert out["items"][1]["conversion"]["rate_source"] == "paid"
    by_rate = {s["rate"]: s["total"] for s in out["rate_scenarios"]}
    # At ¥139: 13,901 (100.01 x 139 = 13,901.39) + 1,513 (the rate actually paid is kept).
    assert by_rate == {"139": 13901 + 1513, "150": 15001 + 1513, "160": 16001 + 1513}
    for scenario in out["rate_scenarios"]:
        assert sum(m["total"] for m in scenario["members"]) == scenario["total"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, 'item "利用料": the currency USD has no exchange rate'),
        ({"rates": {"USD": "0"}}, "rates.USD: the exchange rate 0 must be more than zero"),
        ({"rates": {"USD": "-150"}}, "rates.USD: the exchange rate -150 must be more than zero"),
        ({"rates": {"USD": "150"}, "rate_scenarios": {"USD": ["0"]}}, "rate_scenarios.USD"),
    ],
)
def test_currency_without_a_usable_rate(tmp_path, extra, expected):
    data = {
        "members": EXAMPLE["members"],
        "items": [{"name": "利用料", "amount": "100", "currency": "USD", "rule": {"method": "equal"}}],
        **extra,
    }
    assert expected in bad(tmp_path, data)


def test_item_rate_of_zero_names_the_item(tmp_path):
    data = {
        "members": EXAMPLE["members"],
        "items": [
            {"name": "利用料", "amount": "100", "currency": "USD", "rate": "0", "rule": {"method": "equal"}}
        ],
    }
    assert 'item "利用料": the exchange rate of USD is 0' in bad(tmp_path, data)


def test_fairness_report_flags_a_population_split_in_json_csv_and_strict(tmp_path):
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    data = next(json.loads(b) for b in blocks if "ガバメントクラウド運用費" in b)
    result = run(tmp_path, data)
    assert result.exit_code == 0
    report = json.loads(result.stdout)["fairness"]
    assert not report["ok"]
    assert [(v["kind"], v["members"], v["paid"], v["cost"]) for v in report["violations"]] == [
        ("standalone", ["222101"], 62647684, "58000000"),
        ("core", ["222071", "222101"], 95583169, "90000000"),
    ]
    assert "warning: item" in result.stderr and "4,647,684 over" in result.stderr
    csv_out = run(tmp_path, data, "--format", "csv").stdout
    assert "violation,ガバメントクラウド運用費,222101,standalone,62647684,,58000000," in csv_out
    assert run(tmp_path, data, "--strict").exit_code == 3

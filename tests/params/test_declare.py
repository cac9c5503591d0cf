"""Declarations and types: typed values, Japanese messages naming the problem, start-up checks."""

import datetime as dt
import decimal

import pytest

from modules.certificates.parameters import PARAMETERS as CERTIFICATE_PARAMETERS
from tenant_core.params import declare
from tenant_core.params.declare import Param, ValueProblem
from tenant_core.params.registry import DeclarationProblem, Registry, UnknownParameter, registry


def test_every_module_parameters_file_is_collected():
    keys = registry().keys()
    assert "core.session_idle_minutes" in keys and "core.modules_enabled" in keys
    assert {p.key for p in CERTIFICATE_PARAMETERS} <= set(keys)
    modules = registry().modules()
    assert modules[0] == "core" and "certificates" in modules


def test_an_unknown_key_is_an_error_not_a_default():
    with pytest.raises(UnknownParameter, match=r"certificates\.fee\.jumin"):
        registry().get("certificates.fee.jumin")


def test_bad_declarations_stop_the_start():
    good = Param("x.a", declare.Integer(min=0), 1, "a", "a")
    with pytest.raises(DeclarationProblem, match="declared twice"):
        Registry([good, good])
    with pytest.raises(DeclarationProblem, match="default is not a valid value"):
        Registry([Param("x.b", declare.Integer(min=0, max=5), 9, "b", "b")])
    with pytest.raises(DeclarationProblem, match="dotted"):
        Registry([Param("NoDots", declare.Boolean(), False, "c", "c")])


@pytest.mark.parametrize(
    ("param_type", "raw", "expected"),
    [
        (declare.Integer(min=1, max=10), "7", 7),
        (declare.Money(), "1,200円", 1200),
        (declare.Money(), 300, 300),
        (declare.Decimal(places=3), "0.571", decimal.Decimal("0.571")),
        (declare.Boolean(), "はい", True),
        (declare.Boolean(), False, False),
        (declare.Text(max_length=5), "  富士市長 ", "富士市長"),
        (declare.Choice(options=declare.options(("a", "A"), ("b", "B"))), "b", "b"),
        (declare.MultiChoice(options=declare.options(("a", "A"), ("b", "B"))), ["b", "a", "b"], ["a", "b"]),
        (declare.Date(), "2027-04-01", dt.date(2027, 4, 1)),
    ],
)
def test_types_read_raw_input(param_type, raw, expected):
    assert param_type.parse(raw) == expected


@pytest.mark.parametrize(
    ("param_type", "raw", "message"),
    [
        (declare.Integer(min=5, max=480), "3", "5以上480以下"),
        (declare.Integer(), "abc", "整数で入力してください"),
        (declare.Integer(), True, "整数"),
        (declare.Money(), "300.5", "円単位の整数"),
        (declare.Money(), -1, "0円以上"),
        (declare.Decimal(places=2), "0.571", "小数点以下2桁"),
        (declare.Boolean(), "maybe", "「はい」か「いいえ」"),
        (declare.Text(max_length=3), "富士宮市長", "3文字以内"),
        (declare.Text(), "一行目\n二行目", "改行"),
        (
            declare.Choice(options=declare.options(("omit", "省略"), ("print", "記載"))),
            "always",
            "選択肢にない値",
        ),
        (declare.Date(), "平成32年4月1日", "平成は平成31年4月30日までです"),
    ],
)
def test_types_name_the_problem_in_japanese(param_type, raw, message):
    with pytest.raises(ValueProblem, match=message):
        param_type.parse(raw)


def test_a_table_names_the_row_and_the_column_of_every_problem():
    offices = registry().get("certificates.offices")
    rows = [
        {"name": "本庁舎", "address": "富士市永田町1-100", "phone": "0545-51-0123"},
        {"name": "", "address": "富士市吉原2-10", "phone": "0545510124"},
        {"name": "", "address": "", "phone": ""},  # an empty row is ignored
    ]
    with pytest.raises(ValueProblem) as caught:
        offices.parse(rows)
    text = " ".join(caught.value.messages)
    assert "2行目の「名称」" in text and "2行目の「電話番号」" in text and "0545-51-0123 の形" in text
    assert "3行目" not in text
    assert offices.parse(rows[:1]) == rows[:1]
    with pytest.raises(ValueProblem, match="1行以上"):
        offices.parse([])


def test_values_survive_json():
    for p in registry():
        value = p.parse(p.default)
        assert p.from_json(p.to_json(value)) == value


def test_cross_tenant_parameter_page_is_refused(staff_client):
    assert staff_client("fujinomiya", "admin").get("/fuji/admin/params/").status_code == 403

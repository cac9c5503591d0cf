"""Forms of the resident pages (Flask-WTF for CSRF); the services check the meaning of the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from modules.residents.display import RELATIONSHIP_LABELS, SEX_LABELS
from modules.residents.foreign import CATEGORY_LABELS
from modules.residents.validation import RELATIONSHIPS, SEXES
from tenant_core.inputs import BoundedIntegerField, KyodoForm

DATE = {"type": "date"}
_SEX_CHOICES = [SelectChoice("", _l("選択してください")), *(SelectChoice(k, SEX_LABELS[k]) for k in SEXES)]
_REL_CHOICES = [
    SelectChoice("", _l("選択してください")),
    *(SelectChoice(r, RELATIONSHIP_LABELS[r]) for r in RELATIONSHIPS),
]


class SearchForm(KyodoForm):
    """The search terms travel in the query string (GET): bookmarkable, no CSRF needed."""

    class Meta:
        csrf = False

    kana = StringField(_l("カナ氏名（前方一致）"), validators=[Length(max=60)])
    name = StringField(_l("漢字氏名（前方一致）"), validators=[Length(max=60)])
    birth_date = StringField(_l("生年月日"), render_kw=DATE)
    address = StringField(_l("住所（町名から前方一致）"), validators=[Length(max=100)])
    include_removed = BooleanField(_l("除票（転出・死亡）も含める"))
    tsusho = StringField(_l("通称（前方一致）"), validators=[Length(max=60)])
    alpha = StringField(_l("アルファベット氏名（前方一致）"), validators=[Length(max=100)])


class ArrivalForm(KyodoForm):
    """転入・出生の届出."""

    kind = SelectField(
        _l("異動の種類"), choices=[SelectChoice("move_in", _l("転入")), SelectChoice("birth", _l("出生"))]
    )
    household_no = BoundedIntegerField(
        _l("入る世帯の世帯番号（新しい世帯なら空欄）"), validators=[Optional()], low=1
    )
    family_name = StringField(_l("氏"), validators=[Length(max=60)])
    given_name = StringField(_l("名"), validators=[Length(max=60)])
    family_kana = StringField(_l("氏（カナ）"), validators=[Length(max=60)])
    given_kana = StringField(_l("名（カナ）"), validators=[Length(max=60)])
    birth_date = StringField(_l("生年月日"), render_kw=DATE)
    sex = SelectField(_l("性別"), choices=_SEX_CHOICES, validate_choice=False)
    relationship = SelectField(_l("続柄"), choices=_REL_CHOICES, validate_choice=False)
    town = StringField(
        _l("町名（世帯に入る場合は空欄: 世帯主と同じ住所になります）"), validators=[Length(max=60)]
    )
    banchi = StringField(_l("番地"), validators=[Length(max=60)])
    katagaki = StringField(_l("方書（アパート名・部屋番号など）"), validators=[Length(max=110)])
    honseki = StringField(_l("本籍（外国人住民は空欄）"), validators=[Length(max=110)])
    hitto_sha = StringField(_l("筆頭者の氏名（外国人住民は空欄）"), validators=[Length(max=60)])
    effective_on = StringField(_l("異動日（住民となった日）"), render_kw=DATE)
    juminhyo_code = StringField(
        _l("住民票コード（転出証明書の11桁。空欄なら新しいコードを記載）"), validators=[Length(max=20)]
    )
    kyuuji = StringField(_l("旧氏（日本人住民、請求がある場合）"), validators=[Length(max=60)])
    kyuuji_kana = StringField(_l("旧氏（カナ）"), validators=[Length(max=60)])
    citizenship = SelectField(
        _l("日本人・外国人の別"),
        choices=[SelectChoice("japanese", _l("日本人")), SelectChoice("foreign", _l("外国人"))],
        validate_choice=False,
    )
    nationality = StringField(_l("国籍・地域（外国人住民）"), validators=[Length(max=40)])
    foreign_category = SelectField(
        _l("30条45規定区分（外国人住民）"),
        choices=[
            SelectChoice("", _l("選択してください")),
            *(SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()),
        ],
        validate_choice=False,
    )
    residence_status = StringField(_l("在留資格"), validators=[Length(max=40)])
    residence_period = StringField(_l("在留期間（「3年」など）"), validators=[Length(max=30)])
    residence_from = StringField(_l("在留期間の始期"), render_kw=DATE)
    residence_until = StringField(_l("在留期間の満了日"), render_kw=DATE)
    card_number = StringField(_l("在留カード等番号（例: AB12345678CD）"), validators=[Length(max=20)])
    alpha_name = StringField(_l("アルファベット氏名"), validators=[Length(max=110)])
    tsusho = StringField(_l("通称（申出がある場合）"), validators=[Length(max=60)])
    tsusho_kana = StringField(_l("通称（カナ）"), validators=[Length(max=60)])
    mynumber = StringField(_l("個人番号（12桁、分かる場合）"), validators=[Length(max=20)])
    previous_address = StringField(
        _l("従前の住所（転入: 転出証明書のとおり。出生は空欄）"), validators=[Length(max=210)]
    )
    notified_on = StringField(_l("届出日（空欄なら今日）"), render_kw=DATE)
    age_confirmed = BooleanField(_l("続柄と年齢を確認しました"))
    note = StringField(_l("備考"), validators=[Length(max=200)])


class EventForm(KyodoForm):
    """One form for the events of an existing person; each kind shows the fields it needs."""

    effective_on = StringField(_l("異動日"), render_kw=DATE)
    destination = StringField(_l("転出先"), validators=[Length(max=200)])
    whole_household = BooleanField(_l("世帯全員が同じ異動をする"))
    town = StringField(_l("町名"), validators=[Length(max=60)])
    banchi = StringField(_l("番地"), validators=[Length(max=60)])
    katagaki = StringField(_l("方書"), validators=[Length(max=110)])
    household_no = BoundedIntegerField(
        _l("移る先の世帯番号（新しい世帯を作るなら空欄）"), validators=[Optional()], low=1
    )
    relationship = SelectField(_l("続柄"), choices=_REL_CHOICES, validate_choice=False)
    new_head = BoundedIntegerField(_l("新しい世帯主の宛名番号"), validators=[Optional()], low=1)
    former_head_relationship = SelectField(
        _l("元の世帯主の新しい続柄"), choices=_REL_CHOICES, validate_choice=False
    )
    # The 記載事項修正 form shows the recorded values: the clerk changes only what is wrong.
    family_name = StringField(_l("氏"), validators=[Length(max=60)])
    given_name = StringField(_l("名"), validators=[Length(max=60)])
    family_kana = StringField(_l("氏（カナ）"), validators=[Length(max=60)])
    given_kana = StringField(_l("名（カナ）"), validators=[Length(max=60)])
    birth_date = StringField(_l("生年月日"), render_kw=DATE)
    sex = SelectField(_l("性別"), choices=_SEX_CHOICES, validate_choice=False)
    honseki = StringField(_l("本籍（空欄にすると削除）"), validators=[Length(max=110)])
    hitto_sha = StringField(_l("筆頭者の氏名（空欄にすると削除）"), validators=[Length(max=60)])
    mynumber = StringField(_l("個人番号（修正する場合）"), validators=[Length(max=20)])
    notified_on = StringField(_l("届出日（空欄なら今日）"), render_kw=DATE)
    age_confirmed = BooleanField(_l("続柄と年齢を確認しました"))
    note = TextAreaField(_l("備考・修正理由"), validators=[Length(max=300)])
    confirm = BooleanField(_l("内容を確認しました（この異動は取り消せません）"))
    # The person's version when the form was shown: a change made meanwhile by another clerk is a 409.
    version = HiddenField()


# The fields each event form shows, in order; "confirm" asks for a deliberate tick.
EVENT_FIELDS = {
    "move_out": ("effective_on", "notified_on", "destination", "whole_household", "note", "confirm"),
    "relocation": ("effective_on", "notified_on", "town", "banchi", "katagaki", "note"),
    "death": ("effective_on", "notified_on", "new_head", "note", "confirm"),
    "household_change": (
        "effective_on",
        "notified_on",
        "household_no",
        "relationship",
        "new_head",
        "town",
        "banchi",
        "katagaki",
        "age_confirmed",
        "note",
    ),
    "head_change": ("effective_on", "former_head_relationship", "note"),
    "correction": (
        "effective_on",
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "birth_date",
        "sex",
        "katagaki",
        "honseki",
        "hitto_sha",
        "mynumber",
        "age_confirmed",
        "note",
    ),
}
EVENT_TITLES = {
    "move_out": _l("転出"),
    "relocation": _l("転居（世帯全員）"),
    "death": _l("死亡"),
    "household_change": _l("世帯変更（世帯の移動・世帯分離）"),
    "head_change": _l("世帯主変更（この方を世帯主にする）"),
    "correction": _l("記載事項修正"),
}


class BirthForm(KyodoForm):
    """出生届: only what a birth adds; the household's address, 本籍, 筆頭者 and 氏 are taken over."""

    given_name = StringField(_l("名"), validators=[Length(max=60)])
    given_kana = StringField(_l("名（カナ）"), validators=[Length(max=60)])
    birth_date = StringField(_l("生年月日"), render_kw=DATE)
    sex = SelectField(_l("性別"), choices=_SEX_CHOICES, validate_choice=False)
    relationship = SelectField(_l("続柄"), choices=_REL_CHOICES, validate_choice=False, default="子")
    notified_on = StringField(_l("届出日（空欄なら今日）"), render_kw=DATE)
    age_confirmed = BooleanField(_l("続柄と年齢を確認しました"))
    note = StringField(_l("備考"), validators=[Length(max=200)])
    version = HiddenField()  # the household's version when the form was shown


class CancelForm(KyodoForm):
    """異動の取消し: a reason, and a deliberate tick after reading what will be restored."""

    reason = TextAreaField(_l("取消しの理由"), validators=[Length(max=300)])
    confirm = BooleanField(_l("取り消す異動と元に戻る内容を確認しました"))
    version = HiddenField()


class ItemsForm(KyodoForm):
    """The changes of one person's items made on request: 住民票コード, 通称, 旧氏, 在留資格・在留期間."""

    effective_on = StringField(_l("異動日"), render_kw=DATE)
    tsusho = StringField(_l("通称"), validators=[Length(max=60)])
    tsusho_kana = StringField(_l("通称（カナ）"), validators=[Length(max=60)])
    kyuuji = StringField(_l("旧氏"), validators=[Length(max=60)])
    kyuuji_kana = StringField(_l("旧氏（カナ）"), validators=[Length(max=60)])
    foreign_category = SelectField(
        _l("30条45規定区分"),
        choices=[
            SelectChoice("", _l("選択してください")),
            *(SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()),
        ],
        validate_choice=False,
    )
    residence_status = StringField(_l("在留資格"), validators=[Length(max=40)])
    residence_period = StringField(_l("在留期間（「3年」など）"), validators=[Length(max=30)])
    residence_from = StringField(_l("在留期間の始期"), render_kw=DATE)
    residence_until = StringField(_l("在留期間の満了日"), render_kw=DATE)
    card_number = StringField(_l("在留カード等番号（例: AB12345678CD）"), validators=[Length(max=20)])
    note = StringField(_l("備考"), validators=[Length(max=200)])
    confirm = BooleanField(_l("内容を確認しました"))
    version = HiddenField()


# The forms of ItemsForm: the fields each shows, and its title.
ITEM_FIELDS = {
    "code": ("effective_on", "note", "confirm"),
    "tsusho": ("effective_on", "tsusho", "tsusho_kana"),
    "tsusho_delete": ("effective_on", "confirm"),
    "kyuuji": ("effective_on", "kyuuji", "kyuuji_kana"),
    "kyuuji_delete": ("effective_on", "confirm"),
    "residence": (
        "effective_on",
        "foreign_category",
        "residence_status",
        "residence_period",
        "residence_from",
        "residence_until",
        "card_number",
    ),
}
ITEM_TITLES = {
    "code": _l("住民票コードの変更請求"),
    "tsusho": _l("通称の記載"),
    "tsusho_delete": _l("通称の削除"),
    "kyuuji": _l("旧氏の記載"),
    "kyuuji_delete": _l("旧氏の削除"),
    "residence": _l("在留資格・在留期間等の変更"),
}

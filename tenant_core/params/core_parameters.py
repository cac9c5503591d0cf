"""The core's own parameters: security settings and the modules a city has enabled.

Their city values come from the ``[security]`` table and the ``modules`` list of tenant.toml when
tenants are synced, and from the administrator's pages afterwards.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tenant_core.modules import iter_modules
from tenant_core.params.declare import CITY, CONSORTIUM, Boolean, Integer, MultiChoice, Option, Param

PARAMETERS = [
    Param(
        "core.session_idle_minutes",
        Integer(min=5, max=480),
        30,
        "無操作タイムアウト",
        "Idle session timeout",
        help_ja="最後の操作からこの時間が過ぎるとログアウトします。",
        help_en="Staff are signed out after this long without activity.",
        unit=_l("分"),
        effective_dated=False,
    ),
    Param(
        "core.session_max_hours",
        Integer(min=1, max=24),
        10,
        "セッションの最長時間",
        "Maximum session length",
        help_ja="ログインからこの時間が過ぎると、操作中でもログアウトします。",
        help_en="A session ends this long after sign-in, even if in use.",
        unit=_l("時間"),
        effective_dated=False,
    ),
    Param(
        "core.password_min_length",
        Integer(min=8, max=128),
        12,
        "パスワードの最小文字数",
        "Minimum password length",
        help_ja="新しく設定するパスワードに求める文字数です。",
        help_en="Applies to passwords set from now on.",
        unit=_l("文字"),
    ),
    Param(
        "core.totp_required",
        Boolean(),
        False,
        "ワンタイムパスワードの義務化",
        "One-time password required",
        help_ja="「はい」にすると、職員はワンタイムパスワードを登録するまで業務画面を使えません。",
        help_en="When set, staff must enrol a one-time password before using the system.",
    ),
    Param(
        "core.lockout_threshold",
        Integer(min=3, max=20),
        5,
        "ロックまでの失敗回数",
        "Failed sign-ins before lockout",
        unit=_l("回"),
    ),
    Param(
        "core.lockout_minutes",
        Integer(min=1, max=1440),
        15,
        "ロック時間（初回）",
        "Lockout delay (first)",
        help_ja="失敗が続くたびに倍になります（最長1日）。",
        help_en="Doubles with each further failure, up to a day.",
        unit=_l("分"),
    ),
    Param(
        "core.audit_retention_years",
        Integer(min=1, max=30),
        5,
        "操作ログの保存年数",
        "Access log retention",
        help_ja="これより古い操作ログは削除できます（kyodo audit purge）。",
        help_en="Older access-log entries may be purged.",
        unit=_l("年"),
        editable_by=frozenset({CITY, CONSORTIUM}),
    ),
    Param(
        "core.modules_enabled",
        MultiChoice(options=tuple(Option(m.name, m.label_ja, m.label_en) for m in iter_modules())),
        [],
        "利用する業務",
        "Modules enabled",
        help_ja="この団体で使う業務です。運用事業者が tenant.toml で設定します。",
        help_en="Set by the platform operator in tenant.toml.",
        # Enabling a module is a contract matter: only the operator (tenant.toml, CLI) sets it.
        editable_by=frozenset(),
        effective_dated=False,
    ),
    Param(
        "core.print_box_sheets",
        Integer(min=10, max=10000),
        2000,
        "1箱の枚数（大量印刷）",
        "Sheets per box (mass printing)",
        help_ja="大量印刷で1つの箱（PDFファイル）に入れる用紙の上限枚数です。印刷業者の箱・封入機に合わせます。",
        help_en="The most sheets one box (one PDF file) of a print run holds; set to the printer's boxes.",
        unit=_l("枚"),
    ),
    Param(
        "core.print_workers",
        Integer(min=1, max=16),
        2,
        "大量印刷の並列数",
        "Parallel jobs of a print run",
        help_ja="1回の大量印刷を何本のジョブで分けて作成するかです（箱ごとに分担）。ワーカープロセスの数に合わせます。",
        help_en="How many jobs draw one print run at once (box by box); match the number of worker processes.",
        effective_dated=False,
    ),
    Param(
        "core.print_customer_barcode",
        Boolean(),
        False,
        "カスタマバーコードの印字",
        "Print the customer barcode",
        help_ja="「はい」なら大量印刷の宛名の下に日本郵便のカスタマバーコードを印字します"
        "（郵便番号と住所表示番号から作成。バーコード付郵便物の割引の条件です）。",
        help_en="If yes, Japan Post's customer barcode is printed under the address of bulk-printed documents.",
    ),
]

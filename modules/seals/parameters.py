"""Parameters of 印鑑登録: what the city's seal registration ordinance (印鑑条例) leaves to each city.

The seal module reads them with ``param("seals....")`` (see ``services.SealRules.current``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tenant_core.params.declare import Boolean, Integer, Param, Text

PARAMETERS = [
    Param(
        "seals.image_max_kb",
        Integer(min=16, max=4096),
        512,
        "印影画像の上限サイズ",
        "Largest seal image",
        help_ja="登録時に受け付ける印影画像（PNG・JPEG）の上限です。",
        help_en="The largest seal image (PNG or JPEG) accepted at registration.",
        unit=_l("KB"),
    ),
    Param(
        "seals.min_age",
        Integer(min=0, max=20),
        15,
        "登録できる年齢",
        "Minimum age to register",
        help_ja="この年齢未満の方は登録できません（全国的な取扱いは15歳）。",
        help_en="Residents younger than this cannot register (15 in national practice).",
        unit=_l("歳"),
    ),
    Param(
        "seals.allow_reregistration_after_lost",
        Boolean(),
        False,
        "亡失届のあとの再登録",
        "Re-registration after a lost card",
        help_ja="「はい」なら印鑑登録証の亡失届のあと、廃止届を待たずに新しい印鑑を登録できます。"
        "「いいえ」なら先に亡失した登録を廃止します。",
        help_en="If yes, a new seal may be registered after a lost card without abolishing the old "
        "registration first.",
    ),
    Param(
        "seals.number_prefix",
        Text(min_length=0, max_length=4),
        "",
        "登録番号の接頭文字",
        "Prefix of registration numbers",
        help_ja="登録番号と印鑑登録証番号の先頭に付ける文字です（例: F）。",
        help_en="Put before registration and card numbers (e.g. F).",
    ),
]

"""Forms of the print run page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from tenant_core.inputs import BoundedIntegerField, KyodoForm


class PullForm(KyodoForm):
    """引き抜き: the 通番 of the document taken out and why."""

    seq = BoundedIntegerField(_l("通番"), low=1, high=10_000_000)
    reason = StringField(_l("引き抜きの理由"), validators=[Length(max=300)])


class FindForm(KyodoForm):
    class Meta:
        csrf = False

    seq = BoundedIntegerField(_l("通番"), low=1, high=10_000_000)

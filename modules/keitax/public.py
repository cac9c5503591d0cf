"""What other modules may use of 軽自動車税 (e.g. 個人状況照会): read-only.

``vehicles_of(session, atena_no)``: the vehicles a person owns or uses; ``assessments_of``: their
課税台帳 rows; ``class_label(code)``: a 車種区分 as the page's language names it.
"""

from modules.keitax.classes import class_label
from modules.keitax.services import assessments_of, vehicles_of

__all__ = ["assessments_of", "class_label", "vehicles_of"]

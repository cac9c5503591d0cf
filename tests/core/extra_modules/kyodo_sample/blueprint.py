from flask import Blueprint

from tenant_core.params.services import param
from tenant_core.permissions import public, require

bp = Blueprint("sample", __name__, url_prefix="/<tenant>/sample", template_folder="templates")


@require("sample.view")
def index():
    return f"sample page: {param('sample.greeting')}"


@public
def guess():
    return "guessed"


bp.add_url_rule("/", "index", index)
bp.add_url_rule("/guess", "guess", guess, methods=["GET", "POST"])

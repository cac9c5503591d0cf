"""Routes of the seal register (印鑑登録)."""

from flask import Blueprint

from modules.seals import views

bp = Blueprint("seals", __name__, url_prefix="/<tenant>/seals", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/register", "register", views.register, methods=["GET", "POST"])
bp.add_url_rule("/persons/<int:atena_no>", "person", views.person)
bp.add_url_rule("/r/<registration_no>", "registration", views.registration)
bp.add_url_rule("/r/<registration_no>/image", "image", views.image)
bp.add_url_rule("/r/<registration_no>/lost", "lost", views.lost, methods=["GET", "POST"])
bp.add_url_rule("/r/<registration_no>/abolish", "abolish", views.abolish, methods=["GET", "POST"])

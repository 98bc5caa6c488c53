"""What the pages' forms share: the CSRF check (a double-submitted random value: a cookie the
page sets and a hidden field it writes, both required and equal on every POST, and an `Origin`
header, when the browser sends one, naming this gateway), the honeypot, and the sign-up form's
rules."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "gateway_csrf"
CSRF_FIELD = "csrf"
HONEYPOT_FIELD = "website"  # a field people do not see (nor reach with the keyboard)
COOKIE_PATH = "/pages"

NAME_CHARS = (3, 200)
CONTACT_CHARS = 320
USE_CHARS = (10, 2000)
# one address, no spaces, a domain with a dot: the contact is written to, not verified here
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def csrf_value(request: Request) -> str:
    """The request's CSRF value: its cookie's, or a fresh one (`remember_csrf` sets it)."""
    known = request.cookies.get(CSRF_COOKIE, "")
    if len(known) >= 32 and known.isascii():
        return known
    return secrets.token_urlsafe(32)


def remember_csrf(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != value:
        response.set_cookie(
            CSRF_COOKIE,
            value,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def csrf_problem(request: Request, form_value: object) -> str | None:
    """Why a POST fails the CSRF check (None: it passes)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        return "this form was sent from another site"
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(form_value, str) or not form_value:
        return "the form's security value is missing: reload the page and send it again"
    if not secrets.compare_digest(cookie.encode(), form_value.encode()):
        return "the form's security value does not match: reload the page and send it again"
    return None


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


@dataclass
class SignUp:
    """The sign-up form as sent, and what is wrong with it (by field)."""

    name: str = ""
    contact: str = ""
    intended_use: str = ""
    cgu_version: str = ""
    accepted: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: dict[str, str], current_cgu: str) -> SignUp:
        sent = cls(
            name=" ".join(form.get("name", "").split()),
            contact=form.get("contact", "").strip(),
            intended_use=form.get("intended_use", "").strip(),
            cgu_version=form.get("cgu_version", ""),
            accepted=form.get("accept_cgu") == "yes",
        )
        low, high = NAME_CHARS
        if not low <= len(sent.name) <= high:
            sent.errors["name"] = f"Le nom compte de {low} à {high} caractères."
        elif sent.name.isdigit():  # operators name consumers by id or by name
            sent.errors["name"] = "Le nom ne peut pas être fait que de chiffres."
        if len(sent.contact) > CONTACT_CHARS or not EMAIL.match(sent.contact):
            sent.errors["contact"] = "Donnez une adresse électronique (nom@domaine.fr)."
        low, high = USE_CHARS
        if not low <= len(sent.intended_use) <= high:
            sent.errors["intended_use"] = f"Décrivez l'usage prévu en {low} à {high} caractères."
        if not sent.accepted:
            sent.errors["accept_cgu"] = "Acceptez les conditions générales d'utilisation."
        elif sent.cgu_version != current_cgu:
            sent.errors["accept_cgu"] = (
                f"Les conditions ont changé (version {current_cgu}) : relisez-les et "
                "acceptez-les de nouveau."
            )
        return sent

"""Validation outcomes in the user's language, next to the field they are about.

Numbers: ``InvalidNumber.code`` and its particulars (a wrong check character says which one
is expected). The registry's other refusals (``ValidationFailed`` from a use case, in English
for the API) are matched to their words here; an unknown one is shown as the registry wrote
it, which is still better than nothing.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ipx.console.labels import ASSET_KIND
from ipx.errors import ValidationFailed
from ipx.registry.numbers import InvalidNumber

NUMBER_MESSAGES = {
    "check-character": _l(
        "The check character is %(given)s, but for these digits it must be %(expected)s."
    ),
    "organization-check": _l(
        "The organization code's check character is %(given)s, but it must be %(expected)s."
    ),
    "patent-format": _l(
        "This is not a CNIPA application number: 12 or 8 digits and a check character, "
        "e.g. 202310123456.7."
    ),
    "patent-year": _l("The year %(year)s in this application number is out of range."),
    "patent-type": _l("The type digit %(digit)s is not 1, 2, 3, 8 or 9."),
    "patent-kind": _l("This is the number of a %(number_kind)s, not of a %(kind)s."),
    "trademark-format": _l("A trademark registration number has 1 to 10 digits."),
    "copyright-format": _l(
        "This is not a copyright registration number (e.g. 2023SR0123456 or "
        "国作登字-2023-F-00012345)."
    ),
    "future-year": _l("The registration year %(year)s is in the future."),
    "credit-code-format": _l(
        "A unified social credit code has 18 characters from 0-9 and A-Y (without I, O, S, "
        "V, Z), with digits in positions 3 to 8."
    ),
    "division": _l("%(division)s is not an administrative division code."),
    "identity-format": _l("An identity number is 17 digits and a digit or X."),
    "birth-date": _l("The birth date in the identity number is not a valid date."),
}
IDENTITY_CHECK = _l("The check character is wrong: it must be %(expected)s.")

#: The registry's English refusals (a regular expression each) and their words.
REGISTRY_MESSAGES = [
    (r"The grant date precedes the filing date\.", _l("The grant date precedes the filing date.")),
    (r"At least one holder is needed\.", _l("At least one holder is needed.")),
    (r"Unknown parties: \[(?P<ids>[\d, ]*)\]\.", _l("No party with these ids: %(ids)s.")),
    (r"Unknown assets: \[(?P<ids>[\d, ]*)\]\.", _l("No asset with these ids: %(ids)s.")),
    (r"Organizations need a credit code\.", _l("An organization needs its credit code.")),
    (r"Individuals have no credit code\.", _l("An individual has no credit code.")),
    (r"Only individuals have identity numbers\.", _l("Only individuals have identity numbers.")),
    (r"The debt must end after it starts\.", _l("The debt must end after it starts.")),
    (r"Say where the proceeds go: .*", _l("Say where the proceeds of the pledged asset go.")),
    (r"Only a pledged asset's transfer has proceeds\.", _l("Only a pledged asset has proceeds.")),
    (r"Give proceeds: .*", _l("Say where the proceeds go.")),
    (r"A default needs an outstanding amount\.", _l("A default needs an amount still owed.")),
    (
        r"No stored valuation of these assets: give a reserve price\.",
        _l("No valuation of these assets is stored: give a reserve price."),
    ),
    (
        r"Not encumbered by this pledge \(or already sold\): \[(?P<ids>[\d, ]*)\]\.",
        _l("Assets %(ids)s are not (or no longer) under this pledge."),
    ),
    (r"Unknown party (?P<id>\d+)\.", _l("No party with id %(id)s.")),
    # webhook subscriptions (``ipx.notify.urls``, ``ipx.notify.subscriptions``)
    (r"Not a valid URL: .*", _l("Not a valid URL.")),
    (r"Only http and https URLs are called\.", _l("Only http and https URLs are called.")),
    (r"The URL names no host\.", _l("The URL names no host.")),
    (r"Credentials in the URL are not accepted\.", _l("Credentials in the URL are not accepted.")),
    (r"The host (?P<host>\S+) does not resolve\.", _l("The host %(host)s does not resolve.")),
    (
        r"The host resolves to (?P<address>\S+), which is not a public address\.",
        _l("The host resolves to %(address)s, which is not a public address."),
    ),
    (r"Name the party the subscription is for\.", _l("Name the party it is for.")),
    # support applications (``ipx.support.applications``)
    (r"A pledge is cited twice\.", _l("A pledge is cited twice.")),
    (r"A fee subsidy concerns exactly one loan\.", _l("A fee subsidy concerns exactly one loan.")),
    (
        r"An interest claim concerns one loan: its outstanding principal\.",
        _l("An interest claim concerns one loan: give its outstanding principal."),
    ),
    (
        r"The loans of one application share their pledgor and pledgee\.",
        _l("The loans of one application share their pledgor and pledgee."),
    ),
    (r"This programme subsidises a fee\.", _l("This programme subsidises a fee: give it.")),
    (
        r"An interest claim gives the loan's\.",
        _l("An interest claim gives the outstanding principal."),
    ),
    (r"The period ends before it starts\.", _l("The period ends before it starts.")),
    (r"a \w+ needs an explicit expiry date", _l("A trademark or copyright needs its expiry date.")),
    (
        r"a [\w ]+ filed on (?P<filed>\S+) expires on (?P<statutory>\S+), not \S+",
        _l("Filed on %(filed)s, this right expires on %(statutory)s: leave the expiry empty."),
    ),
]


def number_message(exc: InvalidNumber) -> str:
    """What is wrong with a number, in the page's language."""
    if exc.code == "check-character" and "given" not in exc.params:
        return IDENTITY_CHECK % exc.params
    template = NUMBER_MESSAGES.get(exc.code)
    if template is None:
        return str(exc)
    params = dict(exc.params)
    for key in ("kind", "number_kind"):
        if key in params:
            params[key] = str(ASSET_KIND.get(str(params[key]), params[key]))
    return str(template) % params


def registry_message(text: str) -> str:
    """A refusal of the registry's use case, in the page's language when it is a known one."""
    for pattern, words in REGISTRY_MESSAGES:
        if match := re.fullmatch(pattern, text):
            return str(words) % match.groupdict() if match.groupdict() else str(words)
    return text


def show_refusal(form: FlaskForm | None, refusal: ValidationFailed) -> list[str]:
    """Put each of the use case's field errors next to its field; those about no field of the
    form are returned, to be shown above it."""
    elsewhere = []
    for name, messages in _by_field(form, refusal.extra.get("errors") or {}):
        words = [registry_message(str(m)) for m in _flat(messages)]
        field = form._fields.get(name) if form is not None else None
        if field is None:
            elsewhere.extend(words)
        else:
            field.errors = [*field.errors, *words]
    if not refusal.extra.get("errors"):
        return [_("Some of the input is not valid.")]
    return elsewhere


def _by_field(form: FlaskForm | None, errors: dict) -> list[tuple[str, object]]:
    """The errors by field name, a nested object's (``{"claim": {"fee_amount": [...]}}``) by
    its own fields where the form has them flat."""
    found: list[tuple[str, object]] = []
    for name, messages in errors.items():
        fields = form._fields if form is not None else {}
        if isinstance(messages, dict) and name not in fields and set(messages) <= set(fields):
            found.extend(messages.items())
        else:
            found.append((name, messages))
    return found


def _flat(messages) -> list:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _flat(value)]
    return [messages]

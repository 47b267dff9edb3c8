"""Check digits, spelling variations and known data-quality defects for the demo generator.

Three groups of helpers, all driven by a caller-supplied `random.Random` so that output only
depends on the seed:

* GS1 / HIBCC / NPI / Salesforce-id builders and `IdAllocator`, so every generated identifier is
  valid and unique unless a defect says otherwise;
* variations (case, whitespace, abbreviation, legal-form spelling, one-character typo) that make
  two systems write the same real-world thing differently - applied to free text only, never to
  identifiers;
* the defect catalogue `DEFECTS`: which records a defect can hit, how it is applied, and the plan
  that spreads each defect over about `rate` of all records.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from . import names as N

DEFECTS = ("bad_check_digit", "expiry_before_manufacture", "unknown_product", "bad_code", "missing_required")

# --- identifiers ------------------------------------------------------------------------------------


def gs1_check_digit(body: str) -> str:
    """GS1 mod-10 check digit of a key without its check digit (GTIN, GLN).

    Args:
        body: the digits before the check digit.

    Returns:
        The check digit as a one-character string.
    """
    # Weights 3,1,3,... counted from the right-most body digit.
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def luhn_check_digit(body: str) -> str:
    """Luhn check digit of `body` (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions are those next to the (future) check digit
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def npi(body9: str) -> str:
    """US National Provider Identifier: nine digits plus a Luhn digit over the '80840' prefix."""
    return body9 + luhn_check_digit("80840" + body9)


HIBCC_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"


def hibcc_check_character(data: str) -> str:
    """HIBCC mod-43 check character of `data` (which starts with '+')."""
    return HIBCC_CHARSET[sum(HIBCC_CHARSET.index(ch) for ch in data) % 43]


_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def salesforce_id(prefix3: str, number: int) -> str:
    """An 18-character Salesforce-style record id with its case-encoding checksum suffix.

    Args:
        prefix3: key prefix of the object ("001" accounts, "003" contacts).
        number: record number, encoded in base 62 into the last nine of the 15 characters.
    """
    digits = []
    for _ in range(9):
        number, r = divmod(number, 62)
        digits.append(BASE62[r])
    id15 = prefix3 + "Ab" + "0" + "".join(reversed(digits))
    # Each 5-char chunk contributes one suffix char whose bits flag its upper-case letters, which
    # is what lets case-insensitive tools (spreadsheets) keep ids distinct.
    suffix = "".join(
        _SF_SUFFIX[sum(1 << j for j, ch in enumerate(id15[k:k + 5]) if "A" <= ch <= "Z")] for k in (0, 5, 10)
    )
    return id15 + suffix


def udi_pi(gtin: str, expiry: str, lot: str) -> str:
    """GS1 element string of a production identifier: (01) GTIN, (17) expiry YYMMDD, (10) lot."""
    return f"(01){gtin}(17){expiry[2:4]}{expiry[5:7]}{expiry[8:10]}(10){lot}"


def hibcc_udi(lic: str, catalog: str) -> str:
    """HIBCC UDI-DI '+LIC PCN U C'; the unit-of-measure digit is chosen so the check char is alphanumeric."""
    pcn = "".join(ch for ch in catalog.upper() if ch.isalnum())[:18]
    for uom in "0123456789":
        data = f"+{lic}{pcn}{uom}"
        check = hibcc_check_character(data)
        if check.isalnum():  # symbols (space, '$', ...) survive badly in spreadsheets
            return data + check
    return data + check


class IdAllocator:
    """Allocates values that must be unique (identifiers, names, keys) within a namespace."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[tuple[str, str]] = set()  # membership only - never iterated
        # OEM suppliers draw their own prefixes; keep the house's and the "unknown" one out of reach
        self.used.update(("prefix", p) for p in (*N.HOUSE_GS1_PREFIXES.values(), N.UNKNOWN_GS1_PREFIX))

    def fresh(self, space: str, make: Callable[[], str], fallback: Callable[[int], str] | None = None) -> str:
        """First value of `make()` not yet used in `space`; after 30 misses, `fallback(2)`, `fallback(3)`..."""
        for attempt in itertools.count():
            value = make() if fallback is None or attempt < 30 else fallback(attempt - 28)
            if (space, value) not in self.used:
                self.used.add((space, value))
                return value
        raise AssertionError("unreachable")

    def gtin(self, prefix7: str, indicator: str) -> str:
        # The item reference is unique per company prefix whatever the packaging indicator.
        ref = self.fresh("gtin", lambda: prefix7 + f"{self.rng.randrange(100000):05d}")
        return indicator + ref + gs1_check_digit(indicator + ref)

    def gln(self, country: str) -> str:
        prefix = N.COUNTRY_GS1_PREFIX[country]
        width = 12 - len(prefix)
        body = self.fresh("gln", lambda: prefix + f"{self.rng.randrange(10 ** width):0{width}d}")
        return body + gs1_check_digit(body)


# --- variations (free text only) ---------------------------------------------------------------------

_ABBREV_RE = re.compile(r"\b(" + "|".join(sorted(N.ABBREVIATIONS, key=len, reverse=True)) + r")\b")
_FORM_RE = re.compile(r"(" + "|".join(re.escape(f) for f in sorted(N.LEGAL_FORM_VARIANTS, key=len, reverse=True))
                      + r")$")


def vary_case(rng: random.Random, text: str) -> str:
    """Upper-case (ERP habit), lower-case or title-case the text."""
    r = rng.random()
    if r < 0.6:
        return text.upper()
    return text.lower() if r < 0.8 else text.title()


def vary_whitespace(rng: random.Random, text: str) -> str:
    """Double one inner space or add a trailing space, as hand-keyed fields do."""
    if " " in text and rng.random() < 0.6:
        i = text.index(" ")
        return text[:i] + "  " + text[i + 1:]
    return text + " "


def abbreviate(text: str) -> str:
    """Abbreviate every known word ("Medical" -> "Med.", "Saint" -> "St.")."""
    return _ABBREV_RE.sub(lambda m: N.ABBREVIATIONS[m.group(1)], text)


def vary_legal_form(rng: random.Random, text: str) -> str:
    """Respell a trailing legal form ("Inc." -> "Inc", "GmbH" -> "G.m.b.H.")."""
    m = _FORM_RE.search(text)
    if not m:
        return text
    return text[:m.start()] + rng.choice(N.LEGAL_FORM_VARIANTS[m.group(1)])


def strip_legal_form(text: str) -> str:
    """The name without its trailing legal form, as people type it ("Brandt Messtechnik")."""
    m = _FORM_RE.search(text)
    return text[:m.start()].rstrip(" ,") if m else text


def typo(rng: random.Random, text: str) -> str:
    """Swap two adjacent letters, once; the text is returned unchanged if it has no such pair."""
    spots = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()
             and text[i] != text[i + 1]]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def vary_text(rng: random.Random, text: str, *, case: float = 0.0, space: float = 0.0, abbrev: float = 0.0,
              form: float = 0.0, typo_rate: float = 0.0) -> str:
    """Apply each variation with its own probability; the probabilities default to none.

    Args:
        rng: random stream of the caller.
        text: free text (names, descriptions, addresses) - never an identifier.
        case: probability of a case change.
        space: probability of a whitespace change.
        abbrev: probability of abbreviating known words.
        form: probability of respelling a trailing legal form.
        typo_rate: probability of a one-character swap.

    Returns:
        The varied text.
    """
    if form and rng.random() < form:
        text = vary_legal_form(rng, text)
    if abbrev and rng.random() < abbrev:
        text = abbreviate(text)
    if typo_rate and rng.random() < typo_rate:
        text = typo(rng, text)
    if case and rng.random() < case:
        text = vary_case(rng, text)
    if space and rng.random() < space:
        text = vary_whitespace(rng, text)
    return text


def erp_short_text(text: str) -> str:
    """SAP material short text: upper case, ERP abbreviations, 40 characters."""
    text = text.upper().replace(",", "")
    for long, short in N.ERP_TEXT_ABBREVIATIONS:
        text = text.replace(long, short)
    return text[:40].rstrip()


def drop_optional(rng: random.Random, data: dict, fields: Sequence[str], rate: float) -> None:
    """Remove each of `fields` from `data` with probability `rate` (systems leave fields empty)."""
    for f in fields:
        if f in data and rng.random() < rate:
            del data[f]


# --- defects ------------------------------------------------------------------------------------------

# Values outside the canonical code lists, as sources really send them ("UK" for GB, MDR's
# informal "Is" class, pallets). None of them is a source code that a system's mapping translates
# (SAP's "ST" or "2A", MES's "PCS" would become valid canonical codes on the way in).
BAD_CODES = {
    "product": (("device_class", "IV"), ("device_class", "Is"), ("unit_of_measure", "PAL"),
                ("mri_safety", "mr_compatible"), ("lifecycle_status", "withdrawn")),
    "lot": (("status", "on_hold"), ("status", "blocked"), ("unit_of_measure", "PAL")),
    "equipment": (("qualification_status", "validated"), ("equipment_type", "cleanroom")),
    "supplier": (("country", "UK"), ("risk_class", "critical"), ("approval_status", "blocked")),
    "customer": (("country", "UK"), ("customer_type", "nursing_home"), ("specialty", "dermatology")),
}


def is_eligible(kind: str, system: str, domain: str, data: dict, protected: bool) -> bool:
    """Whether defect `kind` can be applied to a record.

    Args:
        kind: one of `DEFECTS`.
        system: the source system.
        domain: the record's domain.
        data: the record's (clean) data.
        protected: the record must keep its identifiers (the deliberately reused lot numbers,
            so that the site-scoping case always survives).
    """
    if kind == "bad_check_digit":
        return bool(data.get("gtin") or data.get("gln"))
    if kind == "expiry_before_manufacture":
        return domain == "lot" and "manufacture_date" in data and "expiry_date" in data
    if kind == "unknown_product":
        return domain == "lot" and "gtin" in data
    if kind == "bad_code":
        return any(f in data for f, _ in BAD_CODES[domain])
    if kind == "missing_required":
        if domain == "lot":
            # An SAP batch cannot exist without its number (it is part of the key); MES and LIMS
            # key lots by surrogate ids and do lose them.
            return "lot_number" in data and system != "sap-erp" and not protected
        return domain == "supplier" and "name" in data
    raise ValueError(f"unknown defect {kind!r}")


def apply_defect(kind: str, rng: random.Random, domain: str, data: dict, unknown_gtin: Callable[[], str]) -> dict:
    """Return a copy of `data` with defect `kind` applied.

    Args:
        kind: one of `DEFECTS`; the record must be eligible for it.
        rng: random stream.
        domain: the record's domain.
        data: the clean data (not modified).
        unknown_gtin: returns a valid GTIN that belongs to no generated product.

    Returns:
        The defective data.
    """
    data = dict(data)
    if kind == "bad_check_digit":
        field = "gtin" if data.get("gtin") else "gln"
        good = data[field]
        bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        data[field] = bad
        if data.get("udi_di") == good:  # the UDI-DI is typed from the same GTIN
            data["udi_di"] = bad
    elif kind == "expiry_before_manufacture":
        made = date.fromisoformat(data["manufacture_date"])
        if rng.random() < 0.5:  # fields swapped on entry
            data["manufacture_date"], data["expiry_date"] = data["expiry_date"], data["manufacture_date"]
        else:
            data["expiry_date"] = (made - timedelta(days=rng.randint(1, 400))).isoformat()
    elif kind == "unknown_product":
        data["gtin"] = unknown_gtin()
    elif kind == "bad_code":
        field, value = rng.choice([p for p in BAD_CODES[domain] if p[0] in data])
        data[field] = value
    elif kind == "missing_required":
        for field in ("lot_number", "udi_pi") if domain == "lot" else ("name", "legal_name"):
            data.pop(field, None)
    else:
        raise ValueError(f"unknown defect {kind!r}")
    if "udi_pi" in data:  # keep the element string consistent with the (defective) fields
        data["udi_pi"] = udi_pi(data["gtin"], data["expiry_date"], data["lot_number"])
    return data


def plan_defects(rng: random.Random, drafts: Sequence[tuple[str, str, dict, bool]], rate: float) -> list[str | None]:
    """Choose which records carry which defect: about `rate` of all records per defect kind.

    Args:
        rng: random stream.
        drafts: (system, domain, data, protected) per record, in output order.
        rate: share of all records that each defect kind should hit.

    Returns:
        One entry per draft: None, or the defect kind. A record carries at most one defect.
    """
    plan: list[str | None] = [None] * len(drafts)
    target = max(1, round(rate * len(drafts)))
    for kind in DEFECTS:
        eligible = [i for i, (system, domain, data, protected) in enumerate(drafts)
                    if plan[i] is None and is_eligible(kind, system, domain, data, protected)]
        for i in rng.sample(eligible, min(target, len(eligible))):
            plan[i] = kind
    return plan

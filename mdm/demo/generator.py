"""Deterministic demo data for the master-data hub: source records plus their ground truth.

Contract:

* `generate(seed, scale)` returns `GeneratedRecord`s for the canonical domains (product, lot,
  equipment, supplier, customer) as the systems of lineage/systems.yaml hold them: sap-erp, mes,
  lims, plm, supplier-portal, crm and csv-import. `data` uses the canonical field names and code
  values of notes/canonical.md (dates as ISO strings, booleans, integers), restricted to the fields
  each system holds, with that system's spelling variations in free text.
* Identifiers (GTIN, GLN, DUNS, NPI, HIBCC UDI-DI, lot numbers, asset ids) are valid and identical
  across systems for the same real-world thing; only the `bad_check_digit` defect breaks one.
  Lot numbers and asset ids are unique per site only, as in the plants.
* `entity` is the ground truth: records with the same entity describe the same real-world thing.
  Defective records keep their true entity - the truth is about reality, quality is the hub's job.
* About `DEFECT_RATE` of all records carry each kind of `DEFECTS`; the record is still emitted.
* The same seed and scale give identical output: one `random.Random` per concern, seeded from
  strings (stable across processes), no reliance on set order, hashing or the clock.
* Sizes grow linearly with `scale`: per unit 40 suppliers, 60 products, 150 lots, 40 equipment,
  80 customers - about 740 records.
"""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from os import PathLike
from typing import Any

from . import defects as D
from . import names as N
from .defects import DEFECTS, IdAllocator, drop_optional, vary_text

__all__ = ["DEFECTS", "GeneratedRecord", "generate", "write_truth"]

AS_OF = date(2024, 6, 30)  # fixed "today" so that output never depends on the clock
SITES = ("GAL", "PEN", "MSP")
SAP_PLANTS = {"GAL": "1000", "PEN": "2000", "MSP": "3000"}  # WERKS, as dictionary/mappings/sap-erp.yaml
SIZES = {"supplier": 40, "product": 60, "lot": 150, "equipment": 40, "customer": 80}
DEFECT_RATE = 0.025
CSV_RATE = 0.05
MONTH_LETTERS = "ABCDEFGHJKLM"  # no I: it reads as 1 on labels

Row = dict[str, Any]  # a truth (canonical fields + "_" private fields) or a record's data
Views = Iterator[tuple[str, str, Row, Row]]  # (system, source key, truth, data)


@dataclass(frozen=True)
class GeneratedRecord:
    """One source record and its ground truth.

    Attributes:
        system: source system id, e.g. "sap-erp".
        domain: "product", "lot", "equipment", "supplier" or "customer".
        source_key: the system's own key, unique per (system, domain).
        entity: ground-truth id ("product-00012"); equal values are the same real-world thing.
        data: canonical field name -> canonical value, as this system holds it.
        defect: None, or the one kind of `DEFECTS` injected into this record.
    """

    system: str
    domain: str
    source_key: str
    entity: str
    data: dict
    defect: str | None = None


class _Pick:
    """Weighted choice with precomputed cumulative weights (hot path)."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        pairs = tuple(pairs)
        self.values = tuple(v for v, _ in pairs)
        self.cum = tuple(itertools.accumulate(w for _, w in pairs))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cum)[0]


SUPPLIER_COUNTRY, CUSTOMER_COUNTRY, CUSTOMER_TYPE, SPECIALTY = (
    _Pick(w) for w in (N.SUPPLIER_COUNTRIES, N.CUSTOMER_COUNTRIES, N.CUSTOMER_TYPES, N.SPECIALTIES))
APPROVAL, LIFECYCLE, PRODUCT_SITE, EQUIPMENT_SITE, LOT_STATUS, QUALIFICATION = (
    _Pick(N.WEIGHTS[k]) for k in ("approval", "lifecycle", "product_site", "equipment_site", "lot_status",
                                  "qualification"))


def _public(truth: Row) -> Row:
    return {k: v for k, v in truth.items() if k[0] != "_"}


# --- suppliers -------------------------------------------------------------------------------------


def _supplier(rng: random.Random, ids: IdAllocator, i: int) -> Row:
    country = SUPPLIER_COUNTRY(rng)
    category = rng.choice(tuple(N.SUPPLIER_CATEGORIES))
    specialities, risks = N.SUPPLIER_CATEGORIES[category]
    stems = N.COUNTRY_STEMS[country] + N.GENERIC_STEMS
    name = ids.fresh("supplier", lambda: f"{rng.choice(stems)} {rng.choice(specialities)}",
                     lambda k: f"{rng.choice(stems)} {rng.choice(specialities)} {k}")
    street, city, postal, _ = N.address(rng, country)
    s: Row = {"_entity": f"supplier-{i + 1:05d}", "_category": category, "name": name,
         "legal_name": f"{name} {rng.choice(N.LEGAL_FORMS[country])}", "gln": ids.gln(country),
         "duns": ids.fresh("duns", lambda: str(rng.randrange(10 ** 8, 10 ** 9))), "street": street, "city": city,
         "postal_code": postal, "country": country, "approval_status": APPROVAL(rng), "risk_class": rng.choice(risks)}
    if category != "testing":  # test labs hold ISO 17025, not 13485
        s["iso13485_certificate"] = rng.choice(("MD", "Q5", "FM")) + f" {rng.randint(100000, 999999)}"
        s["certificate_expiry"] = (AS_OF + timedelta(days=rng.randint(-60, 1080))).isoformat()
    # OEM identity: own GS1 company prefix and HIBCC labeler id, used by the products they make
    s["_prefix"] = ids.fresh("prefix", lambda: (N.COUNTRY_GS1_PREFIX[country] + f"{rng.randrange(10 ** 5):05d}")[:7])
    s["_lic"] = ids.fresh("lic", lambda: rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + f"{rng.randrange(1000):03d}")
    s["_in_portal"] = rng.random() < 0.7
    # At most one system loses one identifier, so every supplier stays matchable by GLN or DUNS.
    r = rng.random()
    s["_drop"] = ("sap-erp", "gln") if r < 0.06 else ("sap-erp", "duns") if r < 0.12 else \
        ("supplier-portal", "gln") if r < 0.18 else ("", "")
    return s


def _supplier_views(rng: random.Random, suppliers: list[Row]) -> Views:
    lifnr = 300000
    for s in suppliers:
        lifnr += rng.randint(1, 3)
        d = {"name": vary_text(rng, s["legal_name"], case=0.5, form=0.3, abbrev=0.25, typo_rate=0.03)[:35].rstrip(),
             "gln": s["gln"], "duns": s["duns"], "street": vary_text(rng, s["street"], case=0.5, abbrev=0.4),
             "city": vary_text(rng, s["city"], case=0.5), "postal_code": s["postal_code"], "country": s["country"],
             "approval_status": s["approval_status"], "risk_class": s["risk_class"]}
        if "iso13485_certificate" in s and rng.random() < 0.7:
            d["iso13485_certificate"] = s["iso13485_certificate"]
            d["certificate_expiry"] = s["certificate_expiry"]
        if s["_drop"][0] == "sap-erp":
            del d[s["_drop"][1]]
        yield "sap-erp", f"{lifnr:010d}", s, d
    seq = 0
    for s in suppliers:
        if not s["_in_portal"]:
            continue
        seq += rng.randint(1, 2)
        d = {"name": vary_text(rng, s["name"], abbrev=0.3, typo_rate=0.03),
             "legal_name": vary_text(rng, s["legal_name"], form=0.3, space=0.1)}
        d.update((f, s[f]) for f in ("gln", "duns", "street", "city", "postal_code", "country",
                                     "iso13485_certificate", "certificate_expiry") if f in s)
        # The portal shows the onboarding status, which can lag behind the ERP's approval.
        d["approval_status"] = "pending" if rng.random() < 0.05 else s["approval_status"]
        if s["_drop"][0] == "supplier-portal":
            del d[s["_drop"][1]]
        drop_optional(rng, d, ("street", "postal_code"), 0.05)
        yield "supplier-portal", f"V-{rng.randint(2016, 2024)}-{seq:04d}", s, d


# --- products --------------------------------------------------------------------------------------


def _product(rng: random.Random, ids: IdAllocator, i: int, oem_makers: list[Row],
             brands: dict[tuple[int, str], list[tuple[str, str]]]) -> Row:
    fam_i = rng.randrange(len(N.PRODUCT_FAMILIES))
    fam = N.PRODUCT_FAMILIES[fam_i]
    # The first three are in-house and active, one per site, so every plant makes lots.
    maker = rng.choice(oem_makers) if i >= 3 and oem_makers and rng.random() < 0.15 else None
    site = SITES[i] if i < 3 else "" if maker else PRODUCT_SITE(rng)
    family_brands = brands.setdefault((fam_i, maker["_entity"] if maker else ""), [])
    if not family_brands or rng.random() < 0.35:
        brand = ids.fresh("brand", lambda: rng.choice(N.BRAND_HEADS) + rng.choice(N.BRAND_TAILS),
                          lambda k: f"{rng.choice(N.BRAND_HEADS)}{rng.choice(N.BRAND_TAILS)} {k}")
        family_brands.append((brand, brand[0] + next(ch for ch in brand[1:] if ch.isupper())))
    brand, abbr = rng.choice(family_brands)
    uom = rng.choice(fam.uom)
    catalog = ids.fresh("catalog", lambda: f"{abbr}{rng.randint(10000, 99999)}")
    p: Row = {"_entity": f"product-{i + 1:05d}", "_site": site}
    if maker and rng.random() < 0.5:
        p.update(udi_di=D.hibcc_udi(maker["_lic"], catalog), issuing_agency="HIBCC")
    else:
        indicator = "0" if uom == "EA" or rng.random() < 0.3 else rng.choice("123")  # 0: a padded GTIN-13
        gtin = ids.gtin(maker["_prefix"] if maker else N.HOUSE_GS1_PREFIXES[site], indicator)
        p.update(gtin=gtin, udi_di=gtin, issuing_agency="GS1")
    is_sterile, prior, methods = fam.sterile
    p.update(brand_name=brand, model_number=ids.fresh("model", lambda: f"{abbr}-{rng.randint(100, 9999)}"),
             catalog_number=catalog, description=fam.desc.format(**{k: rng.choice(v) for k, v in fam.opts.items()}),
             device_class=rng.choice(fam.classes), gmdn_code=rng.choice(fam.gmdn),
             fda_product_code=rng.choice(fam.fda), is_sterile=is_sterile, sterilization_prior_to_use=prior)
    if methods:  # GUDID: a method only for sterile devices or those sterilised before use
        p["sterilization_method"] = rng.choice(methods)
    p.update(mri_safety=rng.choice(fam.mri), shelf_life_days=rng.choice(fam.shelf), unit_of_measure=uom,
             lifecycle_status="active" if i < 3 else LIFECYCLE(rng),
             manufacturer_name=maker["legal_name"] if maker else N.HOUSE_MANUFACTURER)
    design = p["lifecycle_status"] == "design"
    p["_revision"] = rng.choice(N.PLM_REVISIONS[:2] if design else N.PLM_REVISIONS)
    p["_in_sap"] = not design and rng.random() < 0.87  # designs are not released to the ERP yet
    return p


def _product_views(rng: random.Random, products: list[Row]) -> Views:
    for i, p in enumerate(products):
        yield "plm", f"PN-{10000 + i}", p, {**_public(p), "plm_revision": p["_revision"]}
    matnr = 100000
    for p in products:
        if not p["_in_sap"]:
            continue
        matnr += rng.randint(1, 4)
        d: Row = {"erp_material_number": str(matnr)}  # displayed without the 18-digit zero padding
        if "gtin" in p:
            d["gtin"] = p["gtin"]
        else:
            d.update(udi_di=p["udi_di"], issuing_agency=p["issuing_agency"])
        status = p["lifecycle_status"]
        d.update(description=D.erp_short_text(p["description"]), catalog_number=p["catalog_number"],
                 device_class=p["device_class"], is_sterile=p["is_sterile"], unit_of_measure=p["unit_of_measure"],
                 shelf_life_days=p["shelf_life_days"],
                 # the ERP learns about a phase-out late
                 lifecycle_status="active" if status == "phase_out" and rng.random() < 0.3 else status,
                 manufacturer_name=vary_text(rng, p["manufacturer_name"], case=0.6, form=0.3))
        drop_optional(rng, d, ("catalog_number", "device_class"), 0.08)
        yield "sap-erp", f"{matnr:018d}", p, d


# --- lots ------------------------------------------------------------------------------------------


def _lot(rng: random.Random, ids: IdAllocator, i: int, makeable: list[Row]) -> Row:
    p = rng.choice(makeable)
    site = p["_site"]
    made = AS_OF - timedelta(days=rng.randint(0, 900))
    number = ids.fresh("lot:" + site, lambda: f"{made:%y}{MONTH_LETTERS[made.month - 1]}{rng.randrange(10 ** 5):05d}")
    lot = {"_entity": f"lot-{i + 1:05d}", "_product": p, "_protected": False, "lot_number": number,
           "gtin": p["gtin"], "site": site, "manufacture_date": made, "expiry_date": None,
           "quantity": rng.randint(4, 400) * 50, "unit_of_measure": p["unit_of_measure"],
           "status": "quarantine" if (AS_OF - made).days < 10 else LOT_STATUS(rng),
           "_in_lims": rng.random() < 0.7, "_in_sap": p["_in_sap"] and rng.random() < 0.7}
    return lot


def _lots(rng: random.Random, ids: IdAllocator, n: int, products: list[Row]) -> list[Row]:
    makeable = [p for p in products if p["_site"] and p["lifecycle_status"] != "design"]
    lots = [_lot(rng, ids, i, makeable) for i in range(n)]
    # Plants number lots independently: the same number at another site is another lot (and
    # another product). A few are made so on purpose; both sides keep their number (protected).
    gal = [lot for lot in lots if lot["site"] == "GAL"]
    others = [lot for lot in lots if lot["site"] != "GAL"]
    for lot in rng.sample(others, min(len(others), max(2, round(0.02 * n)))) if gal else ():
        src = rng.choice(gal)
        if ("lot:" + lot["site"], src["lot_number"]) in ids.used:
            continue
        ids.used.add(("lot:" + lot["site"], src["lot_number"]))
        lot["lot_number"] = src["lot_number"]
        lot["manufacture_date"] = src["manufacture_date"].replace(day=rng.randint(1, 28))
        lot["_protected"] = src["_protected"] = True
    for lot in lots:
        made = lot["manufacture_date"]
        lot["manufacture_date"] = made.isoformat()
        lot["expiry_date"] = (made + timedelta(days=lot["_product"]["shelf_life_days"])).isoformat()
        lot["udi_pi"] = D.udi_pi(lot["gtin"], lot["expiry_date"], lot["lot_number"])
    return lots


_LOT_FIELDS = ("lot_number", "gtin", "site", "manufacture_date", "expiry_date", "quantity", "unit_of_measure",
               "status", "udi_pi")


def _lot_views(rng: random.Random, lots: list[Row]) -> Views:
    seq = dict.fromkeys(SITES, 0)
    for lot in lots:
        seq[lot["site"]] += 1
        key = f"LOT-{lot['site']}-{lot['manufacture_date'][2:4]}-{seq[lot['site']]:05d}"
        yield "mes", key, lot, {f: lot[f] for f in _LOT_FIELDS}
    sample = 0
    for lot in lots:
        if lot["_in_lims"]:
            sample += 1
            d = {f: lot[f] for f in _LOT_FIELDS[:5]}
            # QC disposition can lag the MES status
            d["status"] = "quarantine" if lot["status"] == "released" and rng.random() < 0.03 else lot["status"]
            yield "lims", f"L{lot['manufacture_date'][2:4]}{sample:04d}", lot, d
    for lot in lots:
        if lot["_in_sap"]:
            d = {f: lot[f] for f in _LOT_FIELDS[:8]}
            if rng.random() < 0.1:  # scrap booked after goods receipt
                d["quantity"] = max(0, d["quantity"] - rng.randint(1, 20) * 10)
            yield "sap-erp", f"{SAP_PLANTS[lot['site']]}-{lot['lot_number']}", lot, d


# --- equipment -------------------------------------------------------------------------------------


def _asset(rng: random.Random, ids: IdAllocator, i: int, counters: dict[tuple[str, str], int],
           models: dict[tuple[str, str], str]) -> Row:
    lab = rng.random() < 0.5  # LIMS holds the laboratory instruments, about half the assets
    base, etype, abbr, lines, interval = rng.choice(N.LAB_TEMPLATES if lab else N.EQUIPMENT_TEMPLATES)
    site = EQUIPMENT_SITE(rng)
    k = counters[site, abbr] = counters.get((site, abbr), 0) + 1
    maker = rng.choice(N.LAB_MAKERS if lab else N.PLANT_MAKERS)
    code = "".join(w[0] for w in maker.split()[:2]).upper()
    if (maker, base) not in models:  # plants buy the same model more than once
        models[maker, base] = ids.fresh("eq-model", lambda: f"{code}-{rng.randint(100, 9999)}")
    qual = QUALIFICATION(rng)
    e = {"_entity": f"equipment-{i + 1:05d}", "_abbr": abbr, "_k": k, "_base": base, "_interval": interval,
         "_in_lims": lab, "asset_id": f"{abbr}-{k:04d}",  # numbered per plant: same id at two sites, two assets
         "name": f"{base} {k}", "equipment_type": etype, "manufacturer_name": maker,
         "model_number": models[maker, base],
         "serial_number": ids.fresh("serial", lambda: f"{code}{rng.randint(10, 24)}{rng.randrange(10 ** 5):05d}"),
         "site": site, "line": rng.choice(lines), "qualification_status": qual}
    if qual not in ("planned", "iq_complete"):  # calibration starts with operational qualification
        last = AS_OF - timedelta(days=rng.randint(400, 900) if qual == "retired" else rng.randint(1, interval + 45))
        e["last_calibrated"] = last.isoformat()
        e["calibration_due"] = (last + timedelta(days=interval)).isoformat()
    return e


def _equipment_views(rng: random.Random, equipment: list[Row]) -> Views:
    for i, e in enumerate(equipment):
        d = _public(e)
        if rng.random() < 0.5:
            d["manufacturer_name"] = D.strip_legal_form(e["manufacturer_name"])
        yield "mes", f"EQ-{i + 1:05d}", e, d
    inst = 0
    for e in equipment:
        if not e["_in_lims"]:
            continue
        inst += 1
        d = _public(e)
        d["name"] = rng.choice((f"{e['_abbr']}-{e['_k']:02d} {e['_base']}", f"{e['_base'].upper()} #{e['_k']}",
                                vary_text(rng, e["name"], typo_rate=0.2)))
        d["manufacturer_name"] = vary_text(rng, e["manufacturer_name"], form=0.5, abbrev=0.3)
        d["line"] = N.LAB_LINE_VARIANTS.get(e["line"], e["line"])
        if "last_calibrated" in e and e["calibration_due"] <= AS_OF.isoformat() and rng.random() < 0.5:
            # LIMS already holds the recalibration the MES has not heard of yet
            last = date.fromisoformat(e["calibration_due"]) - timedelta(days=rng.randint(0, 10))
            d["last_calibrated"] = last.isoformat()
            d["calibration_due"] = (last + timedelta(days=e["_interval"])).isoformat()
        drop_optional(rng, d, ("serial_number", "model_number"), 0.1)
        yield "lims", f"INST-{inst:05d}", e, d


# --- customers -------------------------------------------------------------------------------------


def _customer(rng: random.Random, ids: IdAllocator, i: int) -> Row:
    person = rng.random() < 0.4
    country = "US" if person else CUSTOMER_COUNTRY(rng)  # HCPs carry a US NPI
    city, postal, state = N.pick_city(rng, country)
    c: Row = {"_entity": f"customer-{i + 1:05d}", "party_type": "person" if person else "organization"}
    if person:
        given, family = rng.choice(N.GIVEN_NAMES), rng.choice(N.FAMILY_NAMES)
        c.update(given_name=given, family_name=family,
                 date_of_birth=(date(1950, 1, 1) + timedelta(days=rng.randint(0, 15000))).isoformat(),
                 specialty=SPECIALTY(rng),
                 national_id=ids.fresh("npi", lambda: D.npi(rng.choice("12") + f"{rng.randrange(10 ** 8):08d}")))
        # Namesakes in one city are common at scale; a mailbox is still one person's.
        local, host = f"{N.slug(given)}.{N.slug(family)}", f"{N.slug(city)}health.example"
        email = ids.fresh("email", lambda: f"{local}@{host}", lambda k: f"{local}{k}@{host}")
    else:
        ctype = CUSTOMER_TYPE(rng)
        stems = N.COUNTRY_STEMS[country] + N.GENERIC_STEMS

        def make() -> str:
            return rng.choice(N.ORG_TEMPLATES[ctype]).format(city=city, saint=rng.choice(N.SAINTS),
                                                             stem=rng.choice(stems),
                                                             form=rng.choice(N.LEGAL_FORMS[country]))
        name = ids.fresh("customer", make, lambda k: f"{make()} {('North', 'South', 'East', 'West')[k % 4]} {k}")
        c["name"] = name
        if ctype in ("distributor", "group_purchasing") or rng.random() < 0.75:
            c["gln"] = ids.gln(country)
        if ctype in N.LICENCE_PREFIXES:
            c["licence_number"] = ids.fresh(
                "licence", lambda: f"{N.LICENCE_PREFIXES[ctype]}-{country}-{rng.randrange(10 ** 6):06d}")
        c["customer_type"] = ctype
        # names that differ only in punctuation or beyond the slug's length would share one
        org = N.slug(name)
        email = ids.fresh("email", lambda: f"purchasing@{org}.example", lambda k: f"purchasing@{org}{k}.example")
        c["_in_sap"] = rng.random() < 0.6  # sold-to accounts; HCPs are never ERP customers
    street = rng.choice(N.CUSTOMER_STREETS.get(country, ("{name} Street",)))
    c.update(street=street.format(name=rng.choice(N.STREET_WORDS.get(country, N.STREET_NAMES))),
             street_number=str(rng.randint(1, 400)), city=city, postal_code=postal)
    if state:
        c["state"] = state
    c.update(country=country, email=email, phone=N.phone(rng, country))
    return c


def _customer_views(rng: random.Random, customers: list[Row]) -> Views:
    number = rng.randrange(62 ** 5)
    for c in customers:
        number += rng.randint(1, 5000)
        d = _public(c)
        if "name" in d:
            d["name"] = vary_text(rng, d["name"], space=0.05, typo_rate=0.02)
            drop_optional(rng, d, ("licence_number", "phone", "email"), 0.1)
        else:
            d["family_name"] = vary_text(rng, d["family_name"], typo_rate=0.02)
            drop_optional(rng, d, ("date_of_birth", "phone"), 0.12)
        yield "crm", D.salesforce_id("003" if c["party_type"] == "person" else "001", number), c, d
    kunnr = 500000
    for c in customers:
        if not c.get("_in_sap"):
            continue
        kunnr += rng.randint(1, 3)
        d = {"name": vary_text(rng, c["name"], case=0.6, abbrev=0.5, typo_rate=0.03)[:35].rstrip()}
        d.update((f, c[f]) for f in ("gln", "customer_type", "street", "street_number", "city", "postal_code",
                                     "state", "country", "phone") if f in c)
        d["street"] = vary_text(rng, c["street"], case=0.5, abbrev=0.5)
        yield "sap-erp", f"{kunnr:010d}", c, d


# --- csv import, assembly ----------------------------------------------------------------------------

_CSV_FIELDS = {
    "supplier": ("name", "gln", "duns", "city", "country"),
    "product": ("gtin", "udi_di", "issuing_agency", "brand_name", "model_number", "catalog_number", "description",
                "device_class", "unit_of_measure", "lifecycle_status"),
    "lot": ("lot_number", "gtin", "site", "manufacture_date", "expiry_date", "quantity", "status"),
    "equipment": ("asset_id", "site", "name", "equipment_type", "manufacturer_name", "serial_number"),
    "customer": ("party_type", "name", "given_name", "family_name", "gln", "national_id", "customer_type",
                 "specialty", "city", "country"),
}
_CSV_TEXT = ("name", "description", "manufacturer_name", "family_name", "city")


def _csv_view(rng: random.Random, domain: str, truth: Row) -> Row:
    """A spreadsheet row: a subset of the fields, hand-keyed text (whitespace, case, typos)."""
    d = {f: truth[f] for f in _CSV_FIELDS[domain] if f in truth}
    for f in _CSV_TEXT:
        if f in d:
            d[f] = vary_text(rng, d[f], case=0.2, space=0.3, typo_rate=0.05)
    return d


def generate(seed: int = 1, scale: int = 1) -> list[GeneratedRecord]:
    """Generate the demo source records of all systems, with ground truth and injected defects.

    Args:
        seed: any integer; the same seed and scale give identical output.
        scale: size multiplier (>= 1); every count grows linearly with it.

    Returns:
        Records grouped by domain (supplier, product, lot, equipment, customer) and system,
        followed by the csv-import records.

    Raises:
        ValueError: scale is below 1.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")

    def stream(name: str) -> random.Random:  # str seeds go through SHA-512: stable across processes
        return random.Random(f"mdm-demo/{seed}/{name}")

    ids = IdAllocator(stream("ids"))
    rng = stream("supplier")
    suppliers = [_supplier(rng, ids, i) for i in range(SIZES["supplier"] * scale)]
    rng = stream("product")
    oem_makers = [s for s in suppliers if s["_category"] in ("molding", "tubing", "metal", "electronics")]
    brands: dict[tuple[int, str], list[tuple[str, str]]] = {}  # (family, maker) -> [(brand, abbreviation)]
    products = [_product(rng, ids, i, oem_makers, brands) for i in range(SIZES["product"] * scale)]
    lots = _lots(stream("lot"), ids, SIZES["lot"] * scale, products)
    rng = stream("equipment")
    counters: dict[tuple[str, str], int] = {}
    models: dict[tuple[str, str], str] = {}
    equipment = [_asset(rng, ids, i, counters, models) for i in range(SIZES["equipment"] * scale)]
    rng = stream("customer")
    customers = [_customer(rng, ids, i) for i in range(SIZES["customer"] * scale)]

    views = stream("views")
    drafts: list[tuple[str, str, str, Row, Row]] = []  # system, domain, source key, truth, data
    csv_rows = []
    for domain, truths, make_views in (("supplier", suppliers, _supplier_views), ("product", products, _product_views),
                                       ("lot", lots, _lot_views), ("equipment", equipment, _equipment_views),
                                       ("customer", customers, _customer_views)):
        before = len(drafts)
        drafts.extend((system, domain, key, truth, data) for system, key, truth, data in make_views(views, truths))
        # csv-import duplicates ~5% of the domain's records, taken from its real-world things
        k = min(len(truths), round(CSV_RATE * (len(drafts) - before)))
        for j, t in enumerate(sorted(views.sample(range(len(truths)), k)), start=1):
            csv_rows.append(("csv-import", domain, f"CSV-{domain}-{j}", truths[t], _csv_view(views, domain, truths[t])))
    drafts.extend(csv_rows)

    rng = stream("defects")
    plan = D.plan_defects(rng, [(system, domain, data, truth.get("_protected", False))
                                for system, domain, _, truth, data in drafts], DEFECT_RATE)

    def unknown_gtin() -> str:  # valid, under a prefix that no generated product uses
        return ids.gtin(N.UNKNOWN_GS1_PREFIX, "0")

    return [GeneratedRecord(system, domain, key, truth["_entity"],
                            D.apply_defect(kind, rng, domain, data, unknown_gtin) if kind else data, kind)
            for (system, domain, key, truth, data), kind in zip(drafts, plan)]


def write_truth(records: Iterable[GeneratedRecord], path: str | PathLike[str]) -> None:
    """Write the ground truth as CSV: system, domain, source_key, entity, defect (empty when none).

    Args:
        records: generated records, written in the order given.
        path: destination file; overwritten.
    """
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("system", "domain", "source_key", "entity", "defect"))
        for r in records:
            writer.writerow((r.system, r.domain, r.source_key, r.entity, r.defect or ""))

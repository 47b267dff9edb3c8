"""Word lists for the demo-data generator: companies, places, products, equipment, people.

Everything here is fictional but shaped like the real thing (a Galway catheter plant, a Penang
moulder, a Tuttlingen instrument maker). Code-like values (GMDN, FDA product codes, GS1 prefixes)
are illustrative only: they have the right shape for the canonical contract, they are not a
regulatory reference. Lists are tuples so that their order - and so the generator's output - is fixed.
The few functions at the end turn the lists into addresses, phone numbers and e-mail slugs.
"""

from __future__ import annotations

import random
from typing import NamedTuple

# The manufacturer whose hub this is; products made in-house carry this name.
HOUSE_MANUFACTURER = "Corrib Medical Devices Ltd."

# GS1 company prefixes (7 digits + 5-digit item reference + check digit = GTIN-13).
# The house uses an Irish prefix (539) and a US one (0...), OEM suppliers their own country's.
HOUSE_GS1_PREFIXES = {"GAL": "5391234", "PEN": "5391234", "MSP": "0847321"}
COUNTRY_GS1_PREFIX = {
    "IE": "539", "US": "08", "PR": "08", "DE": "426", "MY": "955", "CN": "693", "JP": "490",
    "FR": "376", "CH": "761", "NL": "871", "IT": "803", "CR": "744",
}
# Reserved for `unknown_product` lots: a valid prefix no generated product ever uses.
UNKNOWN_GS1_PREFIX = "5399876"

# --- suppliers ----------------------------------------------------------------------------
# category -> (specialities, risk classes to draw from); sterilizers are the riskiest.
SUPPLIER_CATEGORIES = {
    "molding": (("Precision Molding", "Medical Moulding", "Micro Molding", "Injection Moulding",
                 "Medical Plastics"), ("medium", "high")),
    "sterilization": (("Sterilization Services", "Sterile Services", "Irradiation Services",
                       "Medical Sterilisation"), ("high",)),
    "packaging": (("Medical Packaging", "Flexible Packaging", "Sterile Packaging",
                   "Thermoform Packaging"), ("medium", "low")),
    "resin": (("Polymers", "Medical Resins", "Specialty Polymers", "Compounding"), ("medium", "low")),
    "electronics": (("Electronics", "Microelectronics", "Sensor Technologies", "Medical Electronics"),
                    ("medium",)),
    "tubing": (("Medical Tubing", "Extrusion Technologies", "Catheter Components"), ("medium", "high")),
    "metal": (("Precision Metals", "Wire Technologies", "Nitinol Components", "Medical Machining"),
              ("medium", "high")),
    "testing": (("Testing Laboratories", "Laboratory Services", "Microbiology Services"), ("low", "medium")),
}

# Country -> name stems that sound local, legal forms, GS1 prefix lives in COUNTRY_GS1_PREFIX.
COUNTRY_STEMS = {
    "IE": ("Shannon", "Corrib", "Burren", "Connacht", "Boyne", "Liffey", "Atlantic", "Claddagh"),
    "US": ("Lakeview", "Northstar", "Keystone", "Summit", "Pioneer", "Granite", "Meridian", "Cascade"),
    "DE": ("Rhein", "Neckar", "Schwarzwald", "Bodensee", "Donau", "Alb", "Hanse", "Franken"),
    "MY": ("Penang", "Kinta", "Perdana", "Bayan", "Seri", "Jaya", "Mutiara", "Kenari"),
    "CN": ("Huaxin", "Shenghua", "Zhongke", "Dongfang", "Jinlong", "Tianyu", "Hengrui", "Suda"),
    "JP": ("Nihon", "Sakura", "Tokai", "Hokuto", "Kansai", "Mizuho", "Asahi", "Shinwa"),
    "FR": ("Rhône", "Alpes", "Jura", "Lumière", "Loire", "Vosges", "Bourgogne", "Azur"),
    "CH": ("Léman", "Helvetic", "Zuger", "Aare", "Alpine", "Säntis", "Rigi", "Jura"),
    "NL": ("Brabant", "Delta", "Oranje", "Zeeland"),
    "IT": ("Emilia", "Mirandola", "Adriatica", "Padana"),
    "CR": ("Coyol", "Heredia", "Pacifica"),
    "PR": ("Borinquen", "Caribe", "Dorado"),
}
GENERIC_STEMS = ("Apex", "Vector", "Orion", "Nova", "Vertex", "Sterling", "Pinnacle", "Accura",
                 "Synergy", "Polaris", "Zenith", "Meridia", "Axis", "Crest", "Precisa", "Evolve")
LEGAL_FORMS = {
    "IE": ("Ltd.", "Limited", "DAC"), "US": ("Inc.", "LLC", "Corp."), "PR": ("Inc.", "LLC"),
    "DE": ("GmbH", "GmbH & Co. KG", "AG"), "MY": ("Sdn. Bhd.",), "CN": ("Co., Ltd.",),
    "JP": ("Co., Ltd.", "K.K."), "FR": ("SAS", "S.A."), "CH": ("AG", "SA", "GmbH"),
    "NL": ("B.V.",), "IT": ("S.r.l.", "S.p.A."), "CR": ("S.A.",),
}
# Weighted country mix of the supply base (the plant sits in Galway, Penang and Minneapolis).
SUPPLIER_COUNTRIES = (("IE", 14), ("US", 20), ("DE", 14), ("MY", 10), ("CN", 8), ("JP", 7), ("FR", 6),
                      ("CH", 7), ("NL", 4), ("IT", 4), ("CR", 3), ("PR", 3))

# Spelling variants of legal forms: the same company as two systems write it.
LEGAL_FORM_VARIANTS = {
    "Inc.": ("Inc", "Incorporated", "INC."), "Ltd.": ("Ltd", "Limited", "LTD"), "Limited": ("Ltd.", "Ltd"),
    "GmbH": ("G.m.b.H.", "Gmbh"), "GmbH & Co. KG": ("GmbH & Co KG", "GmbH + Co. KG"),
    "Co., Ltd.": ("Co. Ltd.", "Co Ltd", "Company Limited"), "Sdn. Bhd.": ("Sdn Bhd", "SDN. BHD."),
    "S.A.": ("SA",), "SA": ("S.A.",), "B.V.": ("BV",), "Corp.": ("Corporation", "Corp"), "LLC": ("L.L.C.",),
    "S.r.l.": ("Srl", "S.R.L."), "S.p.A.": ("SpA",), "SAS": ("S.A.S.",), "K.K.": ("KK", "Kabushiki Kaisha"),
    "AG": ("A.G.",), "DAC": ("D.A.C.",), "A/S": ("AS",),
}
# Word abbreviations people and ERP short texts use; applied on whole words only.
ABBREVIATIONS = {
    "Medical": "Med.", "Technologies": "Tech.", "Services": "Svcs.", "Laboratories": "Labs",
    "Laboratory": "Lab.", "International": "Intl.", "Manufacturing": "Mfg.", "Precision": "Prec.",
    "Packaging": "Pkg.", "Components": "Comp.", "Electronics": "Elec.", "Sterilization": "Steril.",
    "University": "Univ.", "Hospital": "Hosp.", "Center": "Ctr.", "Centre": "Ctr.", "Saint": "St.",
    "Street": "St.", "Avenue": "Ave.", "Drive": "Dr.", "Road": "Rd.", "Industrial": "Ind.",
    "Estate": "Est.", "Business": "Bus.", "Distribution": "Distr.", "Healthcare": "Hlthcare",
    "Instruments": "Instr.", "Analytical": "Anal.", "Systems": "Sys.", "Straße": "Str.",
}

# --- addresses ------------------------------------------------------------------------------
# country -> ((city, postal code, state/region), ...); postal codes are area-level, made unique
# per address only where the country's format has room for it (see generator._address).
CITIES = {
    "IE": (("Galway", "H91", "Co. Galway"), ("Cork", "T12", "Co. Cork"), ("Limerick", "V94", "Co. Limerick"),
           ("Athlone", "N37", "Co. Westmeath"), ("Dublin", "D24", "Co. Dublin"), ("Shannon", "V14", "Co. Clare")),
    "US": (("Minneapolis", "55401", "MN"), ("Plymouth", "55441", "MN"), ("Maple Grove", "55369", "MN"),
           ("Irvine", "92618", "CA"), ("Salt Lake City", "84104", "UT"), ("Boston", "02115", "MA"),
           ("Warsaw", "46580", "IN"), ("Memphis", "38118", "TN"), ("Raleigh", "27607", "NC"),
           ("Pittsburgh", "15213", "PA"), ("Houston", "77030", "TX"), ("Cleveland", "44195", "OH")),
    "PR": (("Dorado", "00646", "PR"), ("Juncos", "00777", "PR"), ("Caguas", "00725", "PR")),
    "DE": (("Tuttlingen", "78532", "BW"), ("Erlangen", "91052", "BY"), ("Hamburg", "22297", "HH"),
           ("Stuttgart", "70173", "BW"), ("Jena", "07743", "TH"), ("Melsungen", "34212", "HE"),
           ("Berlin", "10115", "BE")),
    "MY": (("Bayan Lepas", "11900", "Penang"), ("Batu Kawan", "14110", "Penang"), ("Kulim", "09000", "Kedah"),
           ("Shah Alam", "40000", "Selangor"), ("Johor Bahru", "81200", "Johor")),
    "CN": (("Suzhou", "215000", "Jiangsu"), ("Shenzhen", "518000", "Guangdong"), ("Shanghai", "200000", ""),
           ("Changzhou", "213000", "Jiangsu"), ("Hangzhou", "310000", "Zhejiang")),
    "JP": (("Tokyo", "100-0005", "Tokyo"), ("Osaka", "530-0001", "Osaka"), ("Kyoto", "600-8001", "Kyoto"),
           ("Shizuoka", "420-0851", "Shizuoka"), ("Nagoya", "450-0002", "Aichi")),
    "FR": (("Lyon", "69007", ""), ("Besançon", "25000", ""), ("Grenoble", "38000", ""), ("Paris", "75012", "")),
    "CH": (("Neuchâtel", "2000", "NE"), ("Zug", "6300", "ZG"), ("Le Locle", "2400", "NE"), ("Bern", "3008", "BE"),
           ("Zürich", "8005", "ZH")),
    "NL": (("Eindhoven", "5611 AZ", "Noord-Brabant"), ("Leiden", "2333 CA", "Zuid-Holland")),
    "IT": (("Mirandola", "41037", "MO"), ("Bologna", "40127", "BO"), ("Milano", "20121", "MI")),
    "CR": (("Heredia", "40101", "Heredia"), ("Alajuela", "20101", "Alajuela")),
}
STREET_NAMES = ("Oak", "Mill", "Harbour", "Station", "Church", "Bridge", "Park", "Lake", "Cedar", "Maple",
                "River", "Hill", "Meadow", "Forest", "Garden", "Market", "Castle", "Orchard")
STREET_TEMPLATES = {
    "IE": ("Unit {n}, {name} Business Park", "{name} Industrial Estate", "{n} {name} Road"),
    "US": ("{n} {name} Street", "{n} {name} Avenue", "{n} {name} Drive", "{n} {name} Parkway"),
    "PR": ("Carr. {n} Km {k}", "{n} Calle {name}"),
    "DE": ("{name}straße {n}", "{name}weg {n}", "{name}gasse {n}"),
    "MY": ("Plot {n}, Jalan {name}", "{n}, Lorong {name} {k}"),
    "CN": ("No. {n} {name} Road", "{n} {name} Avenue"),
    "JP": ("{k}-{n}-{k} {name}-cho",),
    "FR": ("{n} rue du {name}", "{n} avenue du {name}"),
    "CH": ("{name}strasse {n}", "Rue du {name} {n}"),
    "NL": ("{name}laan {n}", "{name}straat {n}"),
    "IT": ("Via {name} {n}",),
    "CR": ("Zona Franca {name}, Edificio {k}",),
}

# --- customers --------------------------------------------------------------------------------
CUSTOMER_COUNTRIES = (("US", 34), ("IE", 18), ("DE", 12), ("FR", 8), ("JP", 6), ("CH", 5), ("NL", 5),
                      ("IT", 5), ("MY", 4), ("CN", 3))
SAINTS = ("Mary", "Vincent", "James", "Joseph", "Luke", "Elisabeth", "Francis", "Anne", "Michael",
          "Patrick", "Brigid", "Columba", "Catherine", "John", "Jude", "Clare")
# customer_type -> name templates ({city}, {saint}, {stem}, {form} are filled in).
ORG_TEMPLATES = {
    "hospital": ("{city} University Hospital", "Saint {saint} Hospital {city}", "{city} General Hospital",
                 "{stem} Medical Center", "{city} Heart Institute", "{city} Children's Hospital"),
    "clinic": ("{stem} Vascular Clinic", "{city} Orthopaedic Clinic", "{stem} Day Surgery Centre",
               "Saint {saint} Clinic {city}"),
    "distributor": ("{stem} Medical Supplies {form}", "{stem} Healthcare Distribution {form}",
                    "{stem} Surgical {form}"),
    "pharmacy": ("{stem} Pharmacy", "{city} Hospital Pharmacy Services"),
    "laboratory": ("{stem} Diagnostic Laboratories", "{city} Pathology Laboratory"),
    "group_purchasing": ("{stem} Purchasing Alliance", "{stem} Healthcare Group Purchasing {form}"),
    "government": ("{city} Regional Health Authority", "{city} Health Procurement Agency"),
}
CUSTOMER_TYPES = (("hospital", 40), ("clinic", 18), ("distributor", 18), ("pharmacy", 6), ("laboratory", 6),
                  ("group_purchasing", 6), ("government", 6))
GIVEN_NAMES = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
               "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
               "Daniel", "Karen", "Priya", "Wei", "Aisling", "Sean", "Fatima", "Mateo", "Hannah", "Kenji",
               "Olga", "Ahmed", "Grace", "Luis", "Niamh", "Arjun", "Chloe", "Samuel", "Ines", "Tomas")
FAMILY_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
                "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
                "Martin", "Lee", "O'Brien", "Murphy", "Kelly", "Nguyen", "Patel", "Chen", "Kim", "Schmidt",
                "Novak", "Fitzgerald", "MacDonald", "Okafor", "Haddad", "Larsen", "Rossi", "Walsh")
SPECIALTIES = (("cardiology", 24), ("orthopedics", 14), ("general_surgery", 12), ("radiology", 12),
               ("anesthesiology", 6), ("neurology", 6), ("oncology", 6), ("nursing", 10),
               ("general_practice", 6), ("other", 4))

# --- products -------------------------------------------------------------------------------
class Family(NamedTuple):
    """A kind of device; one product draws its class, codes, sizes and packaging from it."""

    name: str
    classes: tuple[str, ...]  # EU MDR classes the family's products fall into
    gmdn: tuple[str, ...]  # illustrative GMDN-shaped codes
    fda: tuple[str, ...]  # illustrative FDA product codes
    sterile: tuple[bool, bool, tuple[str, ...]]  # is_sterile, sterilization_prior_to_use, methods
    mri: tuple[str, ...]
    shelf: tuple[int, ...]  # shelf lives in days, multiples of 30
    uom: tuple[str, ...]
    desc: str  # description template filled from `opts`
    opts: dict[str, tuple[str, ...]]


PRODUCT_FAMILIES = (
    Family("Guidewire", ("III", "IIb"), ("35094", "47714"), ("DQX",), (True, False, ("ethylene_oxide",)),
           ("mr_unsafe", "no_mri_information"), (1080, 1800), ("EA", "BX"),
           "Guidewire, {coat} coated, {wire} in x {len} cm, {tip} tip",
           {"coat": ("PTFE", "hydrophilic", "silicone"), "wire": ("0.014", "0.018", "0.035", "0.038"),
            "len": ("150", "180", "260", "300"), "tip": ("straight", "angled", "J")}),
    Family("PTA Balloon Catheter", ("III",), ("47762",), ("LIT",), (True, False, ("ethylene_oxide",)),
           ("mr_safe", "no_mri_information"), (1080,), ("EA",),
           "PTA balloon catheter, {d} mm x {l} mm, {len} cm shaft",
           {"d": ("4.0", "5.0", "6.0", "7.0", "8.0"), "l": ("20", "40", "60", "80"), "len": ("80", "135")}),
    Family("Introducer Sheath", ("IIa",), ("35215",), ("DYB",), (True, False, ("ethylene_oxide",)),
           ("mr_safe", "no_mri_information"), (1080, 1440), ("EA", "BX"),
           "Introducer sheath, {fr} Fr x {len} cm, with hemostasis valve",
           {"fr": ("4", "5", "6", "7", "8"), "len": ("11", "23", "45")}),
    Family("Diagnostic Catheter", ("IIb", "III"), ("47743",), ("DQO",), (True, False, ("ethylene_oxide",)),
           ("no_mri_information",), (1080,), ("EA",),
           "Diagnostic angiographic catheter, {curve} curve, {fr} Fr x {len} cm",
           {"curve": ("JL4", "JR4", "pigtail", "multipurpose"), "fr": ("4", "5", "6"),
            "len": ("100", "110")}),
    Family("Coronary Stent System", ("III",), ("47813",), ("NIQ", "MAF"), (True, False, ("ethylene_oxide",)),
           ("mr_conditional",), (720, 1080), ("EA",),
           "Coronary stent system, {d} mm x {l} mm, cobalt chromium",
           {"d": ("2.25", "2.50", "3.00", "3.50", "4.00"), "l": ("8", "12", "18", "24", "32")}),
    Family("Absorbable Suture", ("III",), ("13908",), ("GAM",), (True, False, ("ethylene_oxide", "radiation")),
           ("mr_safe",), (1800,), ("BX",),
           "Absorbable suture, {usp} USP, {len} cm, {needle} needle",
           {"usp": ("2-0", "3-0", "4-0", "5-0"), "len": ("45", "70", "90"),
            "needle": ("taper", "reverse cutting")}),
    Family("Cortical Bone Screw", ("IIb",), ("38160",), ("HWC",), (False, True, ("moist_heat_steam",)),
           ("mr_conditional",), (1800,), ("EA", "PK"),
           "Cortical bone screw, titanium, {d} mm x {l} mm, self-tapping",
           {"d": ("2.7", "3.5", "4.5"), "l": ("12", "16", "20", "30", "40")}),
    Family("Locking Bone Plate", ("IIb",), ("35659",), ("HRS",), (True, False, ("radiation",)),
           ("mr_conditional",), (1800,), ("EA",),
           "Locking bone plate, {holes}-hole, titanium, {side}",
           {"holes": ("4", "6", "8", "10"), "side": ("left", "right", "straight")}),
    Family("Surgical Instrument Set", ("I",), ("46868",), ("LRO",), (False, True, ("moist_heat_steam",)),
           ("mr_unsafe",), (1800,), ("SET",),
           "Reusable {kind} instrument set, {n} pieces",
           {"kind": ("vascular access", "orthopaedic", "laparoscopic"), "n": ("12", "18", "24")}),
    Family("Infusion Set", ("IIa",), ("34989",), ("FPA",), (True, False, ("ethylene_oxide",)),
           ("no_mri_information",), (1080, 1800), ("CS",),
           "Infusion set, {len} cm, {filt} filter, Luer lock",
           {"len": ("150", "180", "200"), "filt": ("0.2 micron", "15 micron", "no")}),
    Family("Hypodermic Syringe", ("IIa",), ("47017",), ("FMF",), (True, False, ("ethylene_oxide", "radiation")),
           ("no_mri_information",), (1800,), ("BX", "CS"),
           "Hypodermic syringe, {ml} ml, Luer {tip}",
           {"ml": ("1", "3", "5", "10", "20"), "tip": ("slip", "lock")}),
    Family("ECG Electrode", ("I",), ("11397",), ("DRX",), (False, False, ()),
           ("no_mri_information", "mr_conditional"), (720, 900), ("PK",),
           "ECG electrode, {mat}, {d} mm, pre-gelled",
           {"mat": ("foam", "cloth", "radiolucent"), "d": ("43", "50", "55")}),
    Family("Hydrocolloid Dressing", ("IIb", "IIa"), ("47806",), ("FRO",), (True, False, ("radiation", "ethylene_oxide")),
           ("mr_safe",), (1080,), ("BX",),
           "Hydrocolloid wound dressing, {w} x {h} cm, {edge}",
           {"w": ("5", "10", "15"), "h": ("10", "15", "20"), "edge": ("bordered", "thin")}),
    Family("Angiography Procedure Kit", ("IIa",), ("45161",), ("OEZ",), (True, False, ("ethylene_oxide",)),
           ("no_mri_information",), (720, 1080), ("KT",),
           "Angiography procedure kit, {n} components, {use}",
           {"n": ("12", "16", "22"), "use": ("femoral", "radial")}),
)
BRAND_HEADS = ("Corr", "Aran", "Nova", "Vela", "Tera", "Lumi", "Axi", "Cura", "Strata", "Oria", "Zen",
               "Veri", "Ecli", "Sono", "Meri", "Kilo", "Inis", "Arda")
BRAND_TAILS = ("Glide", "Pass", "Flow", "Lock", "Fix", "Seal", "Sure", "Trak", "Wave", "Cross", "Line", "Form")
# ERP short-text abbreviations (SAP material descriptions are 40 upper-case characters).
ERP_TEXT_ABBREVIATIONS = (
    ("CATHETER", "CATH"), ("INTRODUCER", "INTROD"), ("SHEATH", "SHTH"), ("ABSORBABLE", "ABS"),
    ("SUTURE", "SUT"), ("HYDROCOLLOID", "HYDROCOL"), ("DRESSING", "DRSG"), ("WITH ", "W/"),
    ("COATED", "CTD"), ("PROCEDURE", "PROC"), ("HYPODERMIC", "HYPO"), ("SYRINGE", "SYR"),
    ("ELECTRODE", "ELECTR"), ("TITANIUM", "TI"), ("LOCKING", "LCK"), ("COMPONENTS", "COMP"),
    ("DIAGNOSTIC", "DIAG"), ("ANGIOGRAPHIC", "ANGIO"), ("HEMOSTASIS", "HEMO"), ("INSTRUMENT", "INSTR"),
    ("CORONARY", "COR"), ("SYSTEM", "SYS"), ("REVERSE CUTTING", "RC"), ("REUSABLE", "REUS"),
)
PLM_REVISIONS = ("A", "B", "C", "D", "E", "F", "G")

# --- equipment --------------------------------------------------------------------------------
# (base name, equipment_type, abbreviation for asset ids, line choices, calibration interval days)
EQUIPMENT_TEMPLATES = (
    ("Injection Molding Machine", "production", "IMM", ("Line 1", "Line 2", "Line 3"), 365),
    ("Catheter Extrusion Line", "production", "EXT", ("Extrusion Hall",), 365),
    ("Balloon Forming Machine", "production", "BFM", ("Line 4", "Line 5"), 180),
    ("Laser Welding Station", "production", "LWS", ("Line 2", "Line 4"), 180),
    ("Vision Inspection System", "inspection", "VIS", ("Line 1", "Line 3", "Line 5"), 180),
    ("Leak Tester", "inspection", "LKT", ("Line 2", "Line 4"), 90),
    ("Burst Pressure Tester", "test", "BPT", ("Line 4", "Line 5"), 90),
    ("Seal Strength Tester", "test", "SST", ("Packaging Hall",), 180),
    ("EtO Sterilizer Chamber", "sterilizer", "STE", ("Sterilization",), 365),
    ("Steam Autoclave", "sterilizer", "AUT", ("Sterilization", "Reprocessing"), 180),
    ("Pouch Sealer", "packaging", "PSL", ("Packaging Hall",), 180),
    ("Thermoform Packaging Machine", "packaging", "TFM", ("Packaging Hall",), 365),
    ("Purified Water System", "utility", "PWS", ("Utilities",), 365),
    ("Cleanroom Air Handling Unit", "utility", "AHU", ("Utilities",), 365),
)
# LIMS holds the laboratory instruments only; they are about half of the asset base.
LAB_TEMPLATES = (
    ("HPLC System", "laboratory", "HPL", ("QC Lab",), 180),
    ("Tensile Testing Machine", "laboratory", "TTM", ("QC Lab", "Physical Test Lab"), 365),
    ("Analytical Balance", "laboratory", "BAL", ("QC Lab", "Microbiology Lab"), 90),
    ("Particle Counter", "laboratory", "PCN", ("Microbiology Lab",), 365),
    ("TOC Analyzer", "laboratory", "TOC", ("QC Lab",), 180),
    ("Incubator", "laboratory", "INC", ("Microbiology Lab",), 365),
    ("FTIR Spectrometer", "laboratory", "FTR", ("QC Lab",), 365),
    ("Endotoxin Plate Reader", "laboratory", "EPR", ("Microbiology Lab",), 180),
    ("Optical Comparator", "laboratory", "OPC", ("Metrology Lab",), 365),
)
PLANT_MAKERS = (
    "Vantage Test Systems Inc.", "Halden Sterile Technologies AG", "Rheinfeld Maschinenbau GmbH",
    "Nakamura Plastics Machinery Co., Ltd.", "Lumetra Vision Systems Ltd.", "Aquila Process Equipment Inc.",
    "Tiernan Packaging Machines Ltd.",
)
LAB_MAKERS = (
    "Kestrel Analytical Instruments Inc.", "Brandt Messtechnik GmbH", "Shimoda Scientific Co., Ltd.",
    "Sorensen Laboratory Instruments A/S", "Precisa Metrology SA", "Vantage Test Systems Inc.",
)
LAB_LINE_VARIANTS = {"QC Lab": "QC Laboratory", "Microbiology Lab": "Micro Lab",
                     "Physical Test Lab": "Phys. Test Lab", "Metrology Lab": "Metrology"}

# Street words that look local, and street patterns without a house number (customers keep the
# number in `street_number`); countries not listed use the English words and patterns.
STREET_WORDS = {
    "DE": ("Linden", "Berg", "Bahnhof", "Kirch", "Schiller", "Goethe", "Mühlen", "Wald"),
    "CH": ("Bahnhof", "See", "Kirch", "Linden", "Rosen", "Post"),
    "FR": ("Moulin", "Château", "Lac", "Parc", "Pont", "Marché"),
    "IT": ("Roma", "Garibaldi", "Verdi", "Mazzini", "Emilia"),
    "NL": ("Linden", "Kerk", "Molen", "Stations", "Beuken"),
    "JP": ("Chiyoda", "Nakagyo", "Kita", "Minami", "Higashi"),
    "MY": ("Perusahaan", "Teknologi", "Mutiara", "Sultan", "Bayan"),
    "CN": ("Xinghu", "Jinji", "Suhong", "Fengli", "Huashan"),
}
CUSTOMER_STREETS = {
    "US": ("{name} Street", "{name} Avenue", "{name} Boulevard", "{name} Drive"),
    "IE": ("{name} Road", "{name} Street", "{name} Avenue"),
    "DE": ("{name}straße", "{name}weg", "{name}allee"),
    "CH": ("{name}strasse", "{name}weg"),
    "FR": ("rue du {name}", "avenue du {name}", "boulevard du {name}"),
    "IT": ("Via {name}", "Viale {name}"),
    "NL": ("{name}laan", "{name}straat"),
    "JP": ("{name}",),
    "MY": ("Jalan {name}",),
    "CN": ("{name} Road",),
}

CALLING_CODES = {"US": "1", "PR": "1", "IE": "353", "DE": "49", "FR": "33", "JP": "81", "CH": "41", "NL": "31",
                 "IT": "39", "MY": "60", "CN": "86", "CR": "506"}
# Licence number prefixes per customer type (wholesale distribution authorisation, hospital licence...).
LICENCE_PREFIXES = {"hospital": "HL", "clinic": "CL", "distributor": "WDA", "pharmacy": "PH", "laboratory": "LAB"}

# Weighted distributions of codes (value, weight) the generator draws from.
WEIGHTS = {
    "approval": (("approved", 75), ("conditional", 12), ("pending", 8), ("disqualified", 5)),
    "lifecycle": (("design", 8), ("active", 72), ("phase_out", 12), ("obsolete", 8)),
    "product_site": (("GAL", 65), ("PEN", 25), ("MSP", 10)),
    "equipment_site": (("GAL", 60), ("PEN", 25), ("MSP", 15)),
    "lot_status": (("released", 90), ("rejected", 4), ("quarantine", 3), ("recalled", 3)),
    "qualification": (("qualified", 65), ("requalification_due", 8), ("pq_complete", 5), ("oq_complete", 4),
                      ("iq_complete", 4), ("planned", 5), ("out_of_service", 5), ("retired", 4)),
}


def address(rng: random.Random, country: str) -> tuple[str, str, str, str]:
    """(street with number, city, postal code, state) for a supplier site."""
    city, postal, state = pick_city(rng, country)
    words = STREET_WORDS.get(country, STREET_NAMES)
    street = rng.choice(STREET_TEMPLATES[country]).format(n=rng.randint(1, 250), k=rng.randint(1, 12),
                                                          name=rng.choice(words))
    return street, city, postal, state


def pick_city(rng: random.Random, country: str) -> tuple[str, str, str]:
    """(city, postal code, state or county) in `country`."""
    city, postal, state = rng.choice(CITIES[country])
    if country == "IE":  # Eircode: routing key + a four-character identifier unique to the address
        postal += " " + "".join(rng.choice("ACDEFHKNPRTVWXY0123456789") for _ in range(4))
    return city, postal, state


def phone(rng: random.Random, country: str) -> str:
    """A fictional phone number in international format."""
    if country in ("US", "PR"):  # 555-01xx is reserved for fiction
        return f"+1 {rng.randint(201, 989)}-555-01{rng.randrange(100):02d}"
    return f"+{CALLING_CODES[country]} {rng.randint(10, 99)} 555 {rng.randrange(10000):04d}"


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits of `text`, for e-mail addresses."""
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())[:40]

"""Find, validate and load governance content: dictionary/, rules/ and lineage/.

Every problem is collected before anything is reported (file, JSON path, message), first against
the JSON Schemas shipped in `mdm/governance/schemas/`, then across files (a mapping naming an
unknown field, a rule naming an unknown system ...). Only content with no problem becomes a
`Governance`.

Extra folders can be layered on the base folder (a benchmark's own systems, mappings and rules):
a file present in an extra folder under the same relative path replaces the base file, later
extras winning; mapping files are the union of every layer's; `lineage/systems.yaml` is merged
instead, an extra adding or replacing systems and sites by name (and the hub only if it names one).
Problems name the file in force, prefixed with its folder when it comes from an extra.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ..errors import GovernanceError
from . import transforms
from .model import (
    DOMAINS,
    Domain,
    DomainMapping,
    DomainRules,
    FieldDef,
    FieldMapping,
    Governance,
    Strategy,
    System,
)
from .record_schema import record_schema

Problem = tuple[str, str, str]
SCHEMA_FILES = ("dictionary", "common", "mapping", "rules", "systems", "openlineage")
SYSTEMS = "lineage/systems.yaml"


@cache
def _validators() -> dict[str, Draft202012Validator]:
    folder = resources.files("mdm.governance") / "schemas"
    schemas = {n: json.loads((folder / f"{n}.schema.json").read_text("utf-8")) for n in SCHEMA_FILES}
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    validators = {n: Draft202012Validator(s, registry=registry) for n, s in schemas.items()}
    # an extra folder's systems file adds systems (and sites) to the base's: it needs no hub
    validators["systems_extra"] = Draft202012Validator({**schemas["systems"], "required": ["systems"]},
                                                       registry=registry)
    return validators


def default_content_dir() -> Path:
    """The content beside the code: the repository root in a checkout, else the packaged copy."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent
    if all((checkout / d).is_dir() for d in ("dictionary", "rules", "lineage")):
        return checkout
    return package / "_content"


def _json_path(parts: Any) -> str:
    path = "$"
    for p in parts:
        path += f"[{p}]" if isinstance(p, int) else f".{p}"
    return path


class _Reader:
    """Reads YAML files from a base folder and the extra folders layered on it, collecting problems.

    Problems are recorded against content-relative paths (`rules/lot.yaml`) and reported against the
    file that was in force, so that the user can open it.
    """

    def __init__(self, root: Path, extra: list[Path]) -> None:
        self.layers = [root, *extra]
        self.problems: list[Problem] = []
        self.snapshot: dict[str, Any] = {}
        self._shown: dict[str, str] = {}
        # merged files: JSON path prefix ($.systems.crm) -> the file that entry came from
        self._origins: dict[str, dict[str, str]] = {}

    def _show(self, layer: Path, rel: str) -> str:
        return rel if layer == self.layers[0] else str(layer / rel)

    def _parse(self, layer: Path, rel: str) -> tuple[bool, Any]:
        """(parsed, data) of one layer's file; a missing or malformed file is a problem."""
        try:
            return True, yaml.safe_load((layer / rel).read_text("utf-8"))
        except FileNotFoundError:
            self.problems.append((self._show(layer, rel), "$", "file is missing"))
        except yaml.YAMLError as exc:
            self.problems.append((self._show(layer, rel), "$", f"not valid YAML: {exc}".replace("\n", " ")))
        return False, None

    def _valid(self, shown: str, data: Any, schema: str) -> bool:
        errors = list(_validators()[schema].iter_errors(data))
        for err in errors:
            self.problems.append((shown, _json_path(err.absolute_path), err.message))
        return not errors

    def read(self, rel: str, schema: str) -> dict[str, Any] | None:
        """The file `rel` of the last layer holding it (the base's when none does), if valid."""
        layer = next((f for f in reversed(self.layers) if (f / rel).is_file()), self.layers[0])
        self._shown[rel] = self._show(layer, rel)
        parsed, data = self._parse(layer, rel)
        if not parsed:
            return None
        self.snapshot[rel] = data
        return data if self._valid(self._shown[rel], data, schema) else None

    def read_systems(self) -> dict[str, Any] | None:
        """`lineage/systems.yaml` of the base merged with every extra's, each file validated on its own."""
        parsed, base = self._parse(self.layers[0], SYSTEMS)
        ok = parsed and self._valid(SYSTEMS, base, "systems")
        merged = dict(base) if ok else {}
        origins = {f"$.{key}.{name}": SYSTEMS for key in ("systems", "sites") for name in merged.get(key) or {}}
        files = [SYSTEMS]
        for layer in self.layers[1:]:
            if not (layer / SYSTEMS).is_file():
                continue
            shown = self._show(layer, SYSTEMS)
            files.append(shown)
            readable, data = self._parse(layer, SYSTEMS)
            if not (readable and self._valid(shown, data, "systems_extra")):
                ok = False
                continue
            if "hub" in data:
                merged["hub"] = data["hub"]
                origins["$.hub"] = shown
            for key in ("systems", "sites"):
                if key in data:
                    merged[key] = {**(merged.get(key) or {}), **data[key]}
                    origins.update({f"$.{key}.{name}": shown for name in data[key]})
        self._shown[SYSTEMS] = " + ".join(files)
        self._origins[SYSTEMS] = origins
        if parsed or len(files) > 1:
            self.snapshot[SYSTEMS] = merged if len(files) > 1 else base
        return merged if ok else None

    def mapping_names(self) -> list[str]:
        """File names in `dictionary/mappings/` of any layer."""
        return sorted({p.name for layer in self.layers for p in (layer / "dictionary" / "mappings").glob("*.yaml")})

    def problem(self, rel: str, path: str, message: str) -> None:
        """Record a problem found in `rel` at JSON path `path`, against the file it came from."""
        shown = self._shown.get(rel, rel)
        for prefix, origin in self._origins.get(rel, {}).items():
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                shown = origin
                break
        self.problems.append((shown, path, message))


def load_governance(root: Path | str | None = None, extra: Sequence[Path | str] = ()) -> Governance:
    """Load and validate the content folder `root` (default: `default_content_dir()`).

    Args:
        root: the base content folder with dictionary/, rules/ and lineage/.
        extra: folders layered on `root` in order (see the module docstring); each holds only the
            files it adds or replaces.

    Raises:
        GovernanceError: with every problem found.
    """
    root = Path(root) if root else default_content_dir()
    extras = [Path(e) for e in extra]
    missing = [(str(root), "$", "content folder does not exist")] if not root.is_dir() else []
    missing += [(str(e), "$", "extra content folder does not exist") for e in extras if not e.is_dir()]
    if missing:
        raise GovernanceError(missing)
    r = _Reader(root, extras)
    common = r.read("dictionary/common.yaml", "common") or {"code_lists": {}}
    systems_raw = r.read_systems()
    openlineage = r.read("lineage/openlineage.yml", "openlineage") or {}
    dicts = {d: r.read(f"dictionary/{d}.yaml", "dictionary") for d in DOMAINS}
    rules_raw = {d: r.read(f"rules/{d}.yaml", "rules") for d in DOMAINS}
    maps_raw = {Path(n).stem: r.read(f"dictionary/mappings/{n}", "mapping") for n in r.mapping_names()}

    code_lists = dict(common["code_lists"])
    domains = {d: _build_domain(r, d, raw, code_lists) for d, raw in dicts.items() if raw}
    systems = _build_systems(r, systems_raw) if systems_raw else {}
    # Field names are read even from a dictionary file that failed its schema, so that one broken
    # file does not hide the problems of the mappings and rules that refer to it.
    names = {d: _field_names(r.snapshot.get(f"dictionary/{d}.yaml")) for d in DOMAINS}
    mappings = _build_mappings(r, maps_raw, names, systems)
    rules = {d: _build_rules(r, d, raw, names, domains, systems) for d, raw in rules_raw.items() if raw}
    sites = set((systems_raw or {}).get("sites", {}))
    rules = {d: _with_checks(r, d, rule, domains, set(systems), sites) for d, rule in rules.items()}
    if r.problems:
        raise GovernanceError(r.problems)

    canonical = json.dumps(r.snapshot, sort_keys=True, default=str, separators=(",", ":"))
    hub = systems_raw["hub"] if systems_raw else {}
    gov = Governance(
        content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        snapshot=json.loads(canonical),
        hub_name=hub["name"],
        hub_namespace=hub["namespace"],
        producer=hub.get("producer", "https://github.com/meddev/meddev-mdm"),
        sites=(systems_raw or {}).get("sites", {}),
        domains=domains,
        code_lists=code_lists,
        systems=systems,
        mappings=mappings,
        rules=rules,
        openlineage=openlineage,
    )
    gov.record_schemas.update({d: record_schema(gov, d) for d in domains})
    return gov


def _field_names(raw: Any) -> set[str] | None:
    if isinstance(raw, dict) and isinstance(raw.get("fields"), dict):
        return set(raw["fields"])
    return None


def _build_domain(r: _Reader, name: str, raw: dict, common: dict) -> Domain:
    rel = f"dictionary/{name}.yaml"
    if raw["domain"] != name:
        r.problem(rel, "$.domain", f"file for domain {name!r} declares {raw['domain']!r}")
    local = raw.get("code_lists", {})
    fields: dict[str, FieldDef] = {}
    for fname, f in raw["fields"].items():
        if f.get("pattern") is not None:
            try:
                re.compile(f["pattern"])
            except re.error as exc:
                r.problem(rel, f"$.fields.{fname}.pattern", f"not a valid regular expression: {exc}")
        cl = f.get("code_list")
        if cl and cl not in local and cl not in common:
            r.problem(rel, f"$.fields.{fname}.code_list", f"unknown code list {cl!r}")
        ident = f.get("identifier") or {}
        fields[fname] = FieldDef(
            name=fname, type=f["type"], label=f["label"], label_zh=f["label_zh"],
            description=f["description"], classification=f["classification"], owner=f["owner"],
            required=f.get("required", False), unit=f.get("unit"), code_list=cl, pattern=f.get("pattern"),
            min_length=f.get("min_length"), max_length=f.get("max_length"), minimum=f.get("minimum"),
            maximum=f.get("maximum"), reference=f.get("reference"), identifier_kind=ident.get("kind"),
            identifier_scope=ident.get("scope", "global"), check=f.get("check") or ident.get("kind"), raw=f,
        )
    all_lists = {**common, **local}
    codes = {n: [c["code"] for c in cl["codes"]] for n, cl in all_lists.items()}
    return Domain(
        name=name, label=raw["label"], label_zh=raw["label_zh"], description=raw["description"],
        owner=raw["owner"], id_prefix=raw["id_prefix"], site_bound=raw.get("site_bound", False),
        fields=fields, code_lists=codes, raw=raw,
    )


def _build_systems(r: _Reader, raw: dict) -> dict[str, System]:
    sites = raw.get("sites", {})
    out = {}
    for name, s in raw["systems"].items():
        if sites and s["site"] not in sites:
            r.problem("lineage/systems.yaml", f"$.systems.{name}.site", f"unknown site {s['site']!r}")
        out[name] = System(
            name=name, kind=s["kind"], description=s["description"], owner=s["owner"], site=s["site"],
            namespace=s["namespace"], writes=tuple(s.get("writes", ())), reads=tuple(s.get("reads", ())),
        )
    return out


def _build_mappings(
    r: _Reader, maps_raw: dict[str, dict | None], names: dict[str, set[str] | None], systems: dict[str, System]
) -> dict[tuple[str, str], DomainMapping]:
    out: dict[tuple[str, str], DomainMapping] = {}
    for stem, raw in maps_raw.items():
        if raw is None:
            continue
        rel = f"dictionary/mappings/{stem}.yaml"
        system = raw["system"]
        if system != stem:
            r.problem(rel, "$.system", f"file {stem}.yaml declares system {system!r}")
        if systems and system not in systems:
            r.problem(rel, "$.system", f"system {system!r} is not declared in lineage/systems.yaml")
        for dname, dm in raw["domains"].items():
            path = f"$.domains.{dname}"
            if systems and system in systems and dname not in systems[system].writes:
                r.problem(rel, path, f"lineage/systems.yaml does not let {system!r} write {dname!r}")
            known = names.get(dname)
            fields = []
            for target, fm in (dm.get("fields") or {}).items():
                if known is not None and target not in known:
                    r.problem(rel, f"{path}.fields.{target}", f"{target!r} is not a field of {dname}")
                specs = fm.get("transforms", [])
                fields.append(FieldMapping(target, fm.get("from"), transforms.compile_chain(specs), specs,
                                           fm.get("default"), fm.get("on_error", "quarantine")))
            sources = [f.source for f in fields if f.source]
            for dup in sorted({s for s in sources if sources.count(s) > 1}):
                r.problem(rel, f"{path}.fields", f"source field {dup!r} is mapped twice")
            out[(system, dname)] = DomainMapping(
                system=system, domain=dname, key=dm["key"],
                key_transform=transforms.compile_chain(dm.get("key_transforms", ["trim"])),
                identity=dm.get("identity", False), fields=fields, ignore=frozenset(dm.get("ignore", [])),
            )
    for name, system in systems.items():
        for dname in system.writes:
            if (name, dname) not in out:
                r.problem("lineage/systems.yaml", f"$.systems.{name}.writes",
                          f"{name!r} writes {dname!r} but dictionary/mappings/{name}.yaml has no mapping for it")
    return out


def _build_rules(
    r: _Reader, name: str, raw: dict, names: dict[str, set[str] | None], domains: dict[str, Domain],
    systems: dict[str, System],
) -> DomainRules:
    rel = f"rules/{name}.yaml"
    known = names.get(name)
    domain = domains.get(name)
    surv = raw["survivorship"]

    def strategy(s: dict, path: str) -> Strategy:
        for sys_name in s.get("priority", []):
            if systems and sys_name not in systems:
                r.problem(rel, path + ".priority", f"unknown system {sys_name!r}")
        return Strategy(s["strategy"], tuple(s.get("priority", ())))

    fields = {}
    for fname, s in (surv.get("fields") or {}).items():
        if known is not None and fname not in known:
            r.problem(rel, f"$.survivorship.fields.{fname}", f"{fname!r} is not a field of {name}")
        fields[fname] = strategy(s, f"$.survivorship.fields.{fname}")
    listed = (raw.get("match") or {}).get("identifiers")
    idents = None if listed is None else tuple(listed)
    # quality rules are compiled by _with_checks once the domain itself is known to be valid
    for i, fname in enumerate(idents or ()):
        if domain and (fname not in domain.fields or not domain.fields[fname].identifier_kind):
            r.problem(rel, f"$.match.identifiers[{i}]", f"{fname!r} is not an identifier field of {name}")
    from ..matching.config import build as build_match

    match = build_match(raw.get("match"), known,
                        lambda path, message: r.problem(rel, path, message))
    return DomainRules(name, strategy(surv["default"], "$.survivorship.default"), fields, idents, raw, match=match)


def _with_checks(r: _Reader, name: str, rules: DomainRules, domains: dict[str, Domain], systems: set[str],
                 sites: set[str]) -> DomainRules:
    """Validate the quality rules of one domain against their kinds and compile them."""
    from ..quality import CHECKS, RuleDef

    domain = domains.get(name)
    rel = f"rules/{name}.yaml"
    checks = []
    seen: set[str] = set()
    for i, q in enumerate(rules.raw.get("quality") or []):
        path = f"$.quality[{i}]"
        if q["id"] in seen:
            r.problem(rel, f"{path}.id", f"rule id {q['id']!r} is used twice")
        seen.add(q["id"])
        cls = CHECKS.get(q["kind"])
        if cls is None:
            r.problem(rel, f"{path}.kind", f"unknown rule kind {q['kind']!r}; known kinds: {', '.join(sorted(CHECKS))}")
            continue
        params = q.get("params") or {}
        errors = list(Draft202012Validator(cls.params_schema).iter_errors(params))
        for err in errors:
            r.problem(rel, f"{path}.params" + _json_path(err.absolute_path)[1:], err.message)
        scope = q.get("scope") or {}
        for s in scope.get("systems", []):
            if systems and s not in systems:
                r.problem(rel, f"{path}.scope.systems", f"unknown system {s!r}")
        for s in scope.get("sites", []):
            if sites and s not in sites:
                r.problem(rel, f"{path}.scope.sites", f"unknown site {s!r}")
        if errors or domain is None:
            continue
        problems = cls.config_problems(params, domain, domains)
        for where, message in problems:
            r.problem(rel, f"{path}.{where}", message)
        if problems or not q.get("enabled", True):
            continue
        rule = RuleDef(id=q["id"], kind=q["kind"], severity=q["severity"], message=q["message"],
                       message_zh=q.get("message_zh"), params=params, systems=frozenset(scope.get("systems", [])),
                       sites=frozenset(scope.get("sites", [])))
        checks.append(cls(rule, domain))
    return dataclasses.replace(rules, checks=tuple(checks))

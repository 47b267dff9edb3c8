"""The fast check never accepts what the published JSON Schema rejects."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mdm.demo.generator import generate
from mdm.services.fastcheck import compile_domain

MUTATIONS = [None, "", "x", "2024-02-30", "2024-02-29", "2023-02-29", "IV", 1, 1.5, -1, True, False, "0" * 14,
             "04012345123456", "GAL", "EA", "released", "I", "IIa", [], {}, "a" * 300]


@pytest.mark.parametrize("domain", ["product", "lot", "equipment", "supplier", "customer"])
def test_fast_check_agrees_with_jsonschema(governance, domain) -> None:
    d = governance.domains[domain]
    fast = compile_domain(d)
    full = Draft202012Validator(governance.record_schemas[domain], format_checker=FormatChecker())
    samples = [r.data for r in generate(seed=3, scale=1) if r.domain == domain]
    for name in d.fields:
        for value in MUTATIONS:
            base = dict(samples[len(name) % len(samples)])
            base[name] = value
            samples.append(base)
    accepted = 0
    for payload in samples:
        payload = {k: v for k, v in payload.items() if v is not None}
        if fast(payload):
            accepted += 1
            assert full.is_valid(payload), json.dumps(payload)
    assert accepted > len(samples) // 10  # it does accept the ordinary records

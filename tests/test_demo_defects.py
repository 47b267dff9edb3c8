"""Generated bad codes must stay bad through every mapping, or the ground truth would lie."""

from __future__ import annotations

import pytest

from mdm.demo.defects import BAD_CODES

CASES = [(d, f, v) for d, pairs in sorted(BAD_CODES.items()) for f, v in pairs]


@pytest.mark.parametrize("domain, field, value", CASES)
def test_no_mapping_turns_a_bad_code_into_a_valid_one(governance, domain, field, value) -> None:
    d = governance.domains[domain]
    codes = d.code_lists[d.fields[field].code_list]
    for (system, dom), mapping in governance.mappings.items():
        for fm in mapping.fields:
            if dom == domain and fm.target == field:
                assert fm.transform(value) not in codes, (system, value)

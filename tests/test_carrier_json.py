"""``Carrier.to_json`` writes what the library's readers read back as the same carrier: a fact with a fraction
as the exact JSON number it was read from (12.50 stays 12.50), never as text a reader refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

import incubator_rules as ir
from incubator_rules.documents import dump_json, load_json

from test_digest import DIGESTED


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=DIGESTED)
def test_a_carrier_written_as_json_reads_back_as_itself(carrier):
    for indent in (2, None):
        again = ir.Carrier.from_dict(load_json(carrier.to_json(indent=indent)))
        assert again == carrier and again.digest == carrier.digest


def test_a_fraction_in_a_fact_is_written_as_its_exact_number_and_a_file_of_it_loads(tmp_path):
    carrier = ir.Carrier.from_dict({"id": "c", "name": "n", "kind": "incubator", "events": [],
                                    "facts": {"rent_per_m2_month": Decimal("12.50")}})
    assert '"rent_per_m2_month": 12.50' in carrier.to_json()
    assert carrier.to_json(indent=None) == ('{"id": "c", "name": "n", "kind": "incubator", '
                                            '"facts": {"rent_per_m2_month": 12.50}, "events": []}')
    path = tmp_path / "c.json"
    path.write_text(carrier.to_json(), encoding="utf-8")
    loaded = ir.load_carrier(path)
    assert loaded == carrier and loaded.fact("rent_per_m2_month") == Decimal("12.50")


def test_exact_numbers_are_written_exactly_and_a_look_alike_text_is_left_alone():
    assert dump_json({"a": [Decimal("1E+2"), Decimal("-0.00"), Decimal("0.1000000000000000055511151231257827")]}) \
        == '{"a":[1E+2,-0.00,0.1000000000000000055511151231257827]}'
    assert dump_json({"t": "\x000:0\x00", "n": Decimal("1.5")}) == '{"t":"\\u00000:0\\u0000","n":1.5}'
    assert dump_json([Decimal("2.5")], indent=2) == "[\n  2.5\n]"
    with pytest.raises(ValueError, match="has no JSON form"):
        dump_json({"a": Decimal("NaN")})
    with pytest.raises(TypeError, match="not plain data"):
        dump_json({"a": Decimal("1.5"), "b": object()})

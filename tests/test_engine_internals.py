"""The engine's shortcuts agree with the plain definitions they replace."""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.documents import canonical_json
from incubator_rules.kinds import Template, render
from incubator_rules.tools.synthetic import generate_portfolio

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n\r"), max_size=12)
names = st.sampled_from(["date", "amount", "level_zh", "year", "", "x y"])


@given(st.lists(st.one_of(text, names.map(lambda n: "{" + n + "}")), max_size=8), st.dictionaries(names, text))
def test_a_compiled_template_fills_like_render(pieces, values):
    template = "".join(pieces)
    assert Template.parse(template).fill(values) == render(template, values)


def plain_digest(carrier: ir.Carrier) -> str:
    data = carrier.to_dict()
    data["events"] = [e.to_dict() for e in carrier.timeline]
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def test_the_digest_is_the_sha256_of_the_canonical_json():
    for carrier in generate_portfolio(200, seed=1):
        assert carrier.digest == plain_digest(carrier)


@settings(max_examples=200)
@given(name=text.filter(str.strip), note=text.filter(str.strip), document=text.filter(str.strip))
def test_the_digest_escapes_text_like_json(name, note, document):
    carrier = ir.Carrier.from_dict({
        "id": "c", "name": name, "kind": "incubator", "area": note,
        "events": [{"type": "accredited", "date": "2024-01-01", "level": "national", "note": note, "document": document},
                   {"type": "payment_received", "date": "2024-02-01", "level": "national", "amount": 5}],
    })
    assert carrier.digest == plain_digest(carrier)


def test_the_timeline_orders_by_date_then_type_then_id():
    carrier = ir.Carrier.from_dict({"id": "c", "name": "c", "kind": "incubator", "events": [
        {"id": "z", "type": "delisted", "date": "2024-01-01"},
        {"id": "b", "type": "accredited", "date": "2024-01-01", "level": "district"},
        {"id": "a", "type": "accredited", "date": "2024-01-01", "level": "municipal"},
        {"id": "s", "type": "operation_started", "date": "2024-01-01"},
        {"id": "y", "type": "operation_started", "date": "2023-01-01"},
    ]})
    assert [e.id for e in carrier.timeline] == ["y", "s", "a", "b", "z"]


def test_every_placeholder_an_explanation_may_use_is_filled_where_it_applies():
    text = open("rulesets/wanzhou-2023.yaml", encoding="utf-8").read()
    old = 'en: "{level} {kind} {act} on {date}, one year of normal operation counted from {counted_from} completed on {payable_on}: {amount} yuan"'
    assert old in text
    ruleset = ir.parse_ruleset(text.replace(old, 'en: "counted from {counted_from}, payable {payable_on}, {amount_wan} wan"'))
    carrier = ir.Carrier.from_dict({
        "id": "c", "name": "C", "kind": "maker_space", "events": [
            {"type": "operation_started", "date": "2022-05-01"},
            {"type": "filed", "date": "2023-10-10", "level": "municipal"},
        ]})
    late = ir.evaluate(carrier, ruleset, "2026-06-30")
    assert late.awards[0].explanation_en == "counted from 2023-10-10, payable 2024-10-10, 20 wan"
    early = ir.evaluate(carrier, ruleset, "2026-06-30", readings={"year_counted_from": "operation_start"})
    assert early.awards[0].explanation_en == "counted from 2022-05-01, payable 2023-10-10, 20 wan"


def test_amounts_in_wan_are_exact():
    from incubator_rules.kinds.base import amount_wan as _amount_wan

    assert [_amount_wan(a) for a in (0, 100, 12_500, 100_000, 200_000, 1_000_000, 1_234_567)] == [
        "0", "0.01", "1.25", "10", "20", "100", "123.4567"]

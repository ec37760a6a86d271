"""The HTTP service, as a client sees it: a real server on loopback, started once for the module.

Every answer is checked against what the library itself returns for the same input.
"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

import incubator_rules as ir  # noqa: E402
from incubator_rules.model.jsonlines import evaluation_line, evaluation_record  # noqa: E402
from incubator_rules.documents import to_plain  # noqa: E402
from incubator_rules.tools.synthetic import generate_portfolio  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CARRIER_FILES = ["q6-maker-space.yaml", "incubator-ladder.yaml", "delisted-maker-space.yaml",
                 "excellent-incubator.yaml", "star-space-rectified.json"]
AS_OF = "2026-06-30"


class Server:
    """``incubator-rules serve`` in a subprocess on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "incubator_rules", "serve", "--port", "0", "--log-level", "warning", *args],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
        )
        line = self.proc.stderr.readline()
        found = re.search(r"serving (http://\S+)", line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"the server did not start: {line}{self.proc.stderr.read()}")
        self.url = found.group(1)
        self.errors: list[str] = []
        threading.Thread(target=lambda: self.errors.extend(self.proc.stderr), daemon=True).start()
        self.client = httpx.Client(base_url=self.url, timeout=60)
        for _ in range(100):
            try:
                self.client.get("/health")
                break
            except httpx.TransportError:
                time.sleep(0.05)

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("service")
    local = base / "local-rulesets"
    local.mkdir()
    text = (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("id: wanzhou-2023\n", "id: wanzhou-2023-local\n", 1)
    (local / "wanzhou-2023-local.yaml").write_text(text, encoding="utf-8")
    shutil.copy(EXAMPLES / "q6-maker-space.yaml", local / "a-carrier-is-not-served.yaml")
    return base


@pytest.fixture(scope="module")
def server(folder):
    s = Server("--rulesets", str(folder / "local-rulesets"), "--decision-log", str(folder / "decisions.jsonl"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return server.client


def carrier_data(name):
    return to_plain(ir.load_carrier(EXAMPLES / name).to_dict())


def problem_of(response, status, error=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["decision_id"] == response.headers["decision-id"]
    assert "Traceback" not in response.text
    if error is not None:
        assert body["error"] == error, body
    return body


def where(text, needle):
    """(line, column) of the first occurrence of ``needle`` in ``text``, from 1."""
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


# --- every endpoint against the library ------------------------------------------------


def test_health_and_decision_id(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert re.fullmatch(r"[0-9a-f-]{36}", r.headers["decision-id"])
    assert client.get("/health").headers["decision-id"] != r.headers["decision-id"]


@pytest.mark.parametrize("name", CARRIER_FILES)
def test_evaluate_is_the_librarys_evaluation_json(client, name):
    carrier = ir.load_carrier(EXAMPLES / name)
    r = client.post("/evaluate", json={"carrier": carrier_data(name), "as_of": AS_OF})
    assert r.status_code == 200, r.text
    assert r.text == ir.evaluate(carrier, as_of=AS_OF).to_json()
    assert r.headers["decision-id"]


def test_evaluate_with_a_reading_a_local_ruleset_and_management(client):
    carrier = ir.load_carrier(EXAMPLES / "star-space-rectified.json")
    readings = {"differential_base": "plan_awards_only"}
    r = client.post("/evaluate", json={"carrier": carrier_data("star-space-rectified.json"), "as_of": AS_OF,
                                       "readings": readings, "management": "chongqing-dynamic-management"})
    expected = ir.with_management(ir.evaluate(carrier, as_of=AS_OF, readings=readings), carrier, "chongqing-dynamic-management")
    assert r.text == expected.to_json()
    r = client.post("/evaluate", json={"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF,
                                       "ruleset": "wanzhou-2023-local"})
    assert r.status_code == 200 and r.json()["ruleset"]["id"] == "wanzhou-2023-local"


def test_evaluate_on_the_durable_engine(client):
    pytest.importorskip("durable")
    carrier = ir.load_carrier(EXAMPLES / "incubator-ladder.yaml")
    r = client.post("/evaluate", json={"carrier": carrier_data("incubator-ladder.yaml"), "as_of": AS_OF, "engine": "durable"})
    assert r.status_code == 200, r.text
    assert r.text == ir.evaluate(carrier, as_of=AS_OF, engine="durable").to_json()


def test_concurrent_durable_evaluations_do_not_mix(server):
    pytest.importorskip("durable")
    carriers = generate_portfolio(12, "durable-threads")
    expected = {c.id: ir.evaluate(c, as_of="2026-12-31").to_json() for c in carriers}

    def post(c):
        with httpx.Client(base_url=server.url, timeout=60) as client:
            r = client.post("/evaluate", json={"carrier": to_plain(c.to_dict()), "as_of": "2026-12-31", "engine": "durable"})
            assert r.status_code == 200, r.text
            return c.id, r.json()

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        for cid, data in pool.map(post, carriers * 2):
            native = json.loads(expected[cid])
            assert data["engine"] == "durable"
            assert {**data, "engine": "native"} == native


def expected_lines(carriers, **kwargs):
    return [evaluation_line(ir.evaluate(c, **kwargs))[0] for c in carriers]


def test_evaluate_many_json_lines_in_and_out(client):
    carriers = [ir.load_carrier(EXAMPLES / n) for n in CARRIER_FILES]
    body = "\n".join(c.to_json(indent=None) for c in carriers) + "\n"
    r = client.post("/evaluate-many", params={"as_of": AS_OF, "reading": "year_counted_from=operation_start"},
                    content=body, headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert r.text.splitlines() == expected_lines(carriers, as_of=AS_OF, readings={"year_counted_from": "operation_start"})


@pytest.mark.parametrize("form", ["district portfolio", "list of carriers", "one carrier"])
def test_evaluate_many_takes_the_portfolio_forms(client, form):
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    data = {"district portfolio": to_plain(portfolio.to_dict()),
            "list of carriers": [to_plain(c.to_dict()) for c in portfolio.carriers],
            "one carrier": to_plain(portfolio.carriers[0].to_dict())}[form]
    carriers = portfolio.carriers if form != "one carrier" else portfolio.carriers[:1]
    r = client.post("/evaluate-many", params={"as_of": "2026-12-31"}, json=data)
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == expected_lines(carriers, as_of="2026-12-31")


def test_evaluate_many_streams_and_does_not_block_health(client):
    carriers = generate_portfolio(4000, "stream")
    body = "\n".join(c.to_json(indent=None) for c in carriers)
    with client.stream("POST", "/evaluate-many", params={"as_of": "2026-12-31"}, content=body,
                       headers={"content-type": "application/x-ndjson"}) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        first = json.loads(next(lines))
        assert first["carrier"]["id"] == carriers[0].id
        started = time.perf_counter()
        with httpx.Client(base_url=str(client.base_url)) as other:
            assert other.get("/health").status_code == 200
        assert time.perf_counter() - started < 2.0
        rest = list(lines)
    assert len(rest) == len(carriers) - 1
    assert json.loads(rest[-1])["carrier"]["id"] == carriers[-1].id


def test_assess_is_the_district_report(client):
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    r = client.post("/assess", json={"portfolio": to_plain(portfolio.to_dict()), "targets": "wanzhou-2023-targets",
                                     "as_of": "2024-12-31"})
    assert r.status_code == 200, r.text
    assert r.text == ir.district_report(portfolio, "wanzhou-2023-targets", "2024-12-31").to_json()


def test_compare_is_the_librarys_comparison(client):
    carriers = ir.load_carriers(EXAMPLES / "wanzhou-synthetic-portfolio.yaml")
    scenarios = ir.load_scenarios(EXAMPLES / "what-if-scenarios.yaml")
    r = client.post("/compare", json={"portfolio": [to_plain(c.to_dict()) for c in carriers],
                                      "scenarios": [to_plain(s.to_dict()) for s in scenarios],
                                      "with_base": True, "as_of": "2026-12-31"})
    assert r.status_code == 200, r.text
    data = r.json()
    expected = ir.compare(carriers, ir.Scenario("base"), *scenarios, as_of="2026-12-31", progress=False).to_dict()
    assert data == json.loads(json.dumps(expected))


def test_reconcile_is_the_librarys_reconciliation(client):
    from incubator_rules.documents import parse_json
    from incubator_rules.files.ledger import ledger_from_data

    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    ledger = [to_plain(p.to_dict()) for p in ir.load_ledger(EXAMPLES / "wanzhou-payments.csv")]
    text = json.dumps({"portfolio": to_plain(portfolio.to_dict()), "payments": ledger, "as_of": "2026-06-30"},
                      ensure_ascii=False, indent=1)
    r = client.post("/reconcile", content=text.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    doc = parse_json(text)
    payments = ledger_from_data(doc.data["payments"], doc.source.below(("payments",)))
    assert r.text == ir.reconcile(portfolio, "2026-06-30", payments).to_json()
    r = client.post("/reconcile", json={"portfolio": [carrier_data("star-space-rectified.json")], "as_of": "2026-06-30"})
    expected = ir.reconcile([ir.load_carrier(EXAMPLES / "star-space-rectified.json")], "2026-06-30")
    assert r.status_code == 200 and r.text == expected.to_json()


def test_a_bad_ledger_line_is_placed_in_the_body(client):
    ledger = [to_plain(p.to_dict()) for p in ir.load_ledger(EXAMPLES / "wanzhou-payments.csv")]
    ledger[1]["amount"] = "lots"
    text = json.dumps({"portfolio": [carrier_data("q6-maker-space.yaml")], "payments": ledger, "as_of": "2026-06-30"},
                      indent=1)
    body = problem_of(client.post("/reconcile", content=text, headers={"content-type": "application/json"}), 422)
    assert body["field"].startswith("payments[1]") and body["line"] == where(text, '"lots"')[0]
    problem_of(client.post("/reconcile", json={"portfolio": []}), 422, "RequestError")


def test_rulesets_lists_the_shipped_and_local_files(client):
    r = client.get("/rulesets")
    listed = {e["id"]: e for e in r.json()}
    shipped = ir.load_ruleset("wanzhou-2023")
    assert listed["wanzhou-2023"]["sha256"] == shipped.sha256 and listed["wanzhou-2023"]["origin"] == "shipped"
    assert listed["wanzhou-2023-local"]["origin"] == "local"
    assert listed["wanzhou-2023-targets"]["type"] == "targets"
    assert "a-carrier-is-not-served" not in listed and "wz-ms-a" not in listed


def test_one_ruleset_in_full(client):
    rs = ir.load_ruleset("wanzhou-2023")
    data = client.get("/rulesets/wanzhou-2023").json()
    assert (data["version"], data["sha256"]) == (rs.version, rs.sha256)
    assert {r["name"]: r["alternatives"] for r in data["readings"]} == {
        name: dict(r.alternatives) for name, r in rs.readings.items()}
    assert {c["id"]: c["text"] for c in data["clauses"]} == {c.id: c.text for c in rs.clauses.values()}
    assert [r["id"] for r in data["rules"]] == [r.id for r in rs.rules]
    targets = client.get("/rulesets/jiangbei-2022-targets").json()
    assert targets["type"] == "targets" and targets["sha256"] == ir.load_targets("jiangbei-2022-targets").sha256


# --- bad input: typed problems, never a traceback ---------------------------------------


def test_bad_json_names_line_and_column(client):
    text = '{\n  "carrier": {"id": "c1",,}\n}'
    body = problem_of(client.post("/evaluate", content=text, headers={"content-type": "application/json"}), 400,
                      "DocumentError")
    line, column = where(text, ",,")
    assert (body["line"], body["column"]) == (line, column + 1)


def test_a_bad_carrier_field_names_field_line_and_column(client):
    carrier = carrier_data("q6-maker-space.yaml")
    carrier["events"][1]["date"] = "2024-02-30"
    text = json.dumps({"as_of": AS_OF, "carrier": carrier}, ensure_ascii=False, indent=2)
    body = problem_of(client.post("/evaluate", content=text.encode(), headers={"content-type": "application/json"}),
                      422, "CarrierError")
    assert body["field"] == "carrier.events[1].date"
    assert (body["line"], body["column"]) == where(text, '"2024-02-30"')


@pytest.mark.parametrize("change, field, error", [
    ({"engine": "rete"}, "engine", "RequestError"),
    ({"as_of": 20260630}, "as_of", "RequestError"),
    ({"as_of": "2026-02-30"}, "as_of", "IncubatorRulesError"),
    ({"readings": {"ladders": "sideways"}}, "readings.ladders", "ReadingError"),
    ({"readings": {"no_such_reading": "x"}}, "readings.no_such_reading", "ReadingError"),
    ({"colour": "red"}, "colour", "RequestError"),
    ({"carrier": None}, "carrier", "RequestError"),
    ({"ruleset": "wanzhou-2023-targets"}, "ruleset", "RulesetError"),
])
def test_bad_request_fields(client, change, field, error):
    data = {"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF, **change}
    text = json.dumps(data, indent=1)
    body = problem_of(client.post("/evaluate", content=text, headers={"content-type": "application/json"}), 422, error)
    assert body["field"] == field
    key = field.split(".")[-1]
    assert body["line"] == where(text, f'"{key}"')[0]


def test_a_byte_order_mark_is_not_an_error(client):
    text = json.dumps({"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF})
    r = client.post("/evaluate", content="\ufeff".encode() + text.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    body = problem_of(client.post("/evaluate", content=b"\xff\xfe{}", headers={"content-type": "application/json"}), 400,
                      "DocumentError")
    assert "UTF-8" in body["message"]


def test_a_lone_surrogate_is_refused_not_a_500(client):
    text = '{"as_of": "2026-06-30",\n "carrier": {"id": "x", "name": "bad \\ud800", "kind": "maker_space"}}'
    body = problem_of(client.post("/evaluate", content=text, headers={"content-type": "application/json"}), 400,
                      "DocumentError")
    assert body["field"] == "carrier.name" and body["line"] == 2
    ok = '{"carrier": {"id": "x", "name": "\\ud83d\\ude00", "kind": "maker_space"}, "as_of": "2026-06-30"}'
    r = client.post("/evaluate", content=ok, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["carrier"]["name"] == "\U0001F600"
    lines = f'{{"id": "y", "name": "n", "kind": "maker_space"}}\n{{"id": "\\udfff", "name": "n", "kind": "maker_space"}}'
    body = problem_of(client.post("/evaluate-many", content=lines, headers={"content-type": "application/x-ndjson"}), 400)
    assert body["line"] == 2 and body["field"] == "id"


def test_a_body_that_is_not_an_object(client):
    body = problem_of(client.post("/evaluate", json=[1, 2]), 422, "RequestError")
    assert body["message"] == "expected a JSON object" and (body["line"], body["column"]) == (1, 1)


def test_bad_query_parameters_are_problems(client):
    body = problem_of(client.post("/evaluate-many", params={"engine": "rete"}, json=[]), 422, "RequestError")
    assert body["field"] == "engine"
    body = problem_of(client.post("/evaluate-many", params={"reading": "ladders"}, json=[]), 422, "RequestError")
    assert body["field"] == "reading"
    body = problem_of(client.post("/evaluate-many", params={"reading": "ladders=sideways"}, json=[]), 422, "ReadingError")
    problem_of(client.post("/evaluate-many", params={"as_of": "tomorrow"}, json=[]), 422)


def test_a_missing_carrier(client):
    body = problem_of(client.post("/evaluate", json={"as_of": AS_OF}), 422, "RequestError")
    assert body["field"] == "carrier" and "missing" in body["message"]


@pytest.mark.parametrize("rid", ["../rulesets/wanzhou-2023", "/etc/passwd", "wanzhou-2023.yaml", "C:\\rules",
                                 "rulesets/wanzhou-2023", "~root", ".hidden", "a" * 101])
def test_path_like_ruleset_ids_are_refused(client, rid):
    data = {"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF, "ruleset": rid}
    body = problem_of(client.post("/evaluate", json=data), 422, "PathLikeIdError")
    assert body["field"] == "ruleset" and body["line"] == 1
    r = client.post("/evaluate-many", params={"ruleset": rid}, json=[])
    problem_of(r, 422, "PathLikeIdError")


def test_unknown_ruleset_ids(client):
    data = {"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF, "ruleset": "atlantis-2030"}
    body = problem_of(client.post("/evaluate", json=data), 422, "UnknownPolicyError")
    assert "wanzhou-2023" in body["message"]
    problem_of(client.get("/rulesets/atlantis-2030"), 404, "UnknownPolicyError")
    problem_of(client.get("/rulesets/wanzhou-2023.yaml"), 400, "PathLikeIdError")
    problem_of(client.get("/rulesets/..%2F..%2Fetc%2Fpasswd"), 404)


def test_oversize_bodies_are_refused(client):
    big = b"[" + b" " * (17 * 1024 * 1024) + b"]"
    problem_of(client.post("/evaluate-many", content=big, headers={"content-type": "application/json"}), 413,
               "BodyTooLargeError")

    def chunks():
        for _ in range(17):
            yield b" " * (1024 * 1024)

    problem_of(client.post("/evaluate", content=chunks(), headers={"content-type": "application/json"}), 413,
               "BodyTooLargeError")


def test_json_lines_errors_name_the_line_of_the_body(client):
    good = ir.load_carrier(EXAMPLES / "q6-maker-space.yaml").to_json(indent=None)
    bad = re.sub(r'"level": ?"national"', '"level": "galactic"', good)
    assert bad != good
    text = f"{good}\n\n{bad}\n"
    body = problem_of(client.post("/evaluate-many", content=text, headers={"content-type": "application/x-ndjson"}),
                      422, "CarrierError")
    assert body["line"] == 3 and body["column"] == where(bad, '"galactic"')[1]
    body = problem_of(client.post("/evaluate-many", content=f"{good}\n{{oops\n",
                                  headers={"content-type": "application/x-ndjson"}), 400, "DocumentError")
    assert body["line"] == 2
    problem_of(client.post("/evaluate-many", content=good, headers={"content-type": "text/csv"}), 415)


def test_a_portfolio_may_not_name_a_file(client):
    data = to_plain(ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml").to_dict())
    data["snapshots_csv"] = "/etc/passwd"
    body = problem_of(client.post("/assess", json={"portfolio": data, "targets": "wanzhou-2023-targets"}), 422,
                      "RequestError")
    assert body["field"] == "portfolio.snapshots_csv"


def test_bad_portfolio_and_scenario_fields(client):
    data = to_plain(ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml").to_dict())
    data["carriers"][2]["kind"] = "castle"
    text = json.dumps({"portfolio": data, "targets": "wanzhou-2023-targets"}, ensure_ascii=False, indent=2)
    body = problem_of(client.post("/assess", content=text.encode(), headers={"content-type": "application/json"}), 422)
    assert body["field"] == "portfolio.carriers[2].kind" and body["line"] == where(text, '"castle"')[0]
    carriers = [carrier_data("q6-maker-space.yaml")]
    body = problem_of(client.post("/compare", json={"portfolio": carriers, "scenarios": [{"name": "x", "colour": 1}]}),
                      422, "ScenarioError")
    assert body["field"].startswith("scenarios[0]")


def test_unknown_routes_and_methods_are_problems(client):
    problem_of(client.get("/nowhere"), 404)
    problem_of(client.get("/evaluate"), 405)


# --- the OpenAPI document and the project's schemas ---------------------------------------


@pytest.fixture(scope="module")
def openapi(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_the_openapi_document_validates(openapi):
    from openapi_spec_validator import validate

    validate(openapi)
    for path in ("/evaluate", "/evaluate-many", "/assess", "/compare", "/reconcile", "/rulesets", "/rulesets/{id}", "/health"):
        assert path in openapi["paths"]
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in openapi["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":  # every error is documented as what the service sends
                    assert response["content"] == {"application/problem+json": {"schema": problem}}, (path, status)


def test_the_interactive_docs_are_served(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "openapi.json" in r.text


def test_the_request_schemas_are_the_projects_schemas(openapi):
    schemas = openapi["components"]["schemas"]
    carrier_file = json.loads((ROOT / "schemas" / "carrier.schema.json").read_text(encoding="utf-8"))
    assert schemas["Carrier"]["properties"].keys() == carrier_file["properties"].keys()
    assert schemas["Carrier"]["definitions"]["event"]["properties"].keys() == carrier_file["definitions"]["event"]["properties"].keys()
    assert schemas["EvaluateRequest"]["properties"]["carrier"] == {"$ref": "#/components/schemas/Carrier"}
    assert schemas["Portfolio"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/Carrier"}


def _validator(openapi, name):
    import jsonschema

    schema = {**openapi["components"]["schemas"][name], "components": openapi["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_what_the_service_accepts_the_schema_accepts(openapi):
    v = _validator(openapi, "EvaluateRequest")
    for name in CARRIER_FILES:
        v.validate({"carrier": carrier_data(name), "as_of": AS_OF, "readings": {"ladders": "separate"}})
    assert not v.is_valid({"carrier": carrier_data(CARRIER_FILES[0]), "ruleset": "../x"})
    assert not v.is_valid({"carrier": carrier_data(CARRIER_FILES[0]), "engine": "rete"})
    bad = carrier_data(CARRIER_FILES[0])
    bad["events"][0]["type"] = "knighted"
    assert not v.is_valid({"carrier": bad})
    portfolio = to_plain(ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml").to_dict())
    _validator(openapi, "AssessRequest").validate({"portfolio": portfolio, "targets": "wanzhou-2023-targets"})
    scenarios = [to_plain(s.to_dict()) for s in ir.load_scenarios(EXAMPLES / "what-if-scenarios.yaml")]
    carriers = [to_plain(c.to_dict()) for c in ir.load_carriers(EXAMPLES / "wanzhou-synthetic-portfolio.yaml")]
    _validator(openapi, "CompareRequest").validate({"portfolio": carriers, "scenarios": scenarios})
    _validator(openapi, "CompareRequest").validate({"portfolio": portfolio, "scenarios": {"scenarios": scenarios}})


ENVELOPES = [
    {}, {"engine": "durable"}, {"engine": "rete"}, {"ruleset": "wanzhou-2023"}, {"ruleset": "../wanzhou-2023"},
    {"ruleset": 2023}, {"ruleset": None}, {"as_of": "2026-06-30"}, {"as_of": "30/06/2026"}, {"as_of": 20260630},
    {"readings": {"ladders": "separate"}}, {"readings": {"ladders": 1}}, {"readings": ["ladders"]}, {"colour": "red"},
    {"management": "chongqing-dynamic-management"}, {"management": "/etc/passwd"}, {"carrier": None},
]


@pytest.mark.parametrize("change", ENVELOPES, ids=lambda c: json.dumps(c))
def test_the_schema_and_the_service_agree_on_the_request(client, openapi, change):
    data = {"carrier": carrier_data("q6-maker-space.yaml"), "as_of": AS_OF, **change}
    accepted = client.post("/evaluate", json=data).status_code == 200
    assert _validator(openapi, "EvaluateRequest").is_valid(data) == accepted


# --- the decision log -----------------------------------------------------------------------


def test_200_concurrent_requests_make_200_whole_lines(server, folder):
    log = folder / "decisions.jsonl"
    before = log.read_bytes().count(b"\n") if log.exists() else 0
    carriers = generate_portfolio(50, "log")
    bodies = [{"carrier": to_plain(c.to_dict()), "as_of": "2026-12-31"} for c in carriers]

    def post(i):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.post("/evaluate", json=bodies[i % len(bodies)])
            assert r.status_code == 200, r.text
            return r.headers["decision-id"]

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        ids = list(pool.map(post, range(200)))
    text = log.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()[before:]
    assert len(lines) == 200
    records = [json.loads(line) for line in lines]
    assert sorted(r["decision_id"] for r in records) == sorted(ids)
    one = records[0]
    assert one["endpoint"] == "/evaluate" and len(one["input_sha256"]) == 64
    assert one["ruleset"]["id"] == "wanzhou-2023" and one["ruleset"]["sha256"] == ir.load_ruleset().sha256
    assert set(one) >= {"time", "readings", "engine", "totals", "as_of", "carrier"}


def test_the_decision_log_records_the_other_endpoints(client, folder):
    carriers = [carrier_data("q6-maker-space.yaml")]
    r = client.post("/compare", json={"portfolio": carriers, "as_of": AS_OF})
    did = r.headers["decision-id"]
    r2 = client.post("/evaluate-many", json=carriers, params={"as_of": AS_OF})
    records = {json.loads(x)["decision_id"]: json.loads(x) for x in (folder / "decisions.jsonl").read_text().splitlines()}
    assert records[did]["endpoint"] == "/compare" and records[did]["totals"]["base"]["total"] == 500_000
    assert records[did]["scenarios"][0]["readings"] == ir.load_ruleset().resolve_readings()
    many = records[r2.headers["decision-id"]]
    assert many["endpoint"] == "/evaluate-many" and many["carriers"] == 1 and many["totals"]["awarded"] == 500_000


def test_refused_requests_are_not_logged_as_decisions(client, folder):
    r = client.post("/evaluate", json={"carrier": {}})
    assert r.status_code == 422
    assert r.headers["decision-id"] not in (folder / "decisions.jsonl").read_text()


# --- limits and failures ---------------------------------------------------------------------


def test_time_and_size_limits_have_their_own_errors():
    s = Server("--time-limit", "0.3", "--max-body-mb", "0.5")
    try:
        carriers = [to_plain(c.to_dict()) for c in generate_portfolio(250, "slow")]
        days = [f"{2020 + i // 300}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}" for i in range(300)]
        r = s.client.post("/compare", json={"portfolio": carriers, "scenarios": [{"name": d, "as_of": d} for d in days]})
        assert problem_of(r, 503, "TimeLimitError")["message"].startswith("the request took longer")
        problem_of(s.client.post("/evaluate-many", content="x" * (600 * 1024)), 413, "BodyTooLargeError")
        assert s.client.get("/health").status_code == 200
    finally:
        s.stop()


def test_a_bad_rulesets_folder_stops_the_start(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: '1'\nrules: 12\n")
    r = subprocess.run([sys.executable, "-m", "incubator_rules", "serve", "--port", "0", "--rulesets", str(tmp_path)],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "broken.yaml" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "incubator_rules", "serve", "--port", "0", "--rulesets",
                        str(ROOT / "examples"), str(ROOT / "rulesets")], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "unique" in r.stderr and "rulesets" in r.stderr


def test_a_released_version_with_other_content_stops_the_start(tmp_path):
    text = (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(text.replace("id: wanzhou-2023\n", "id: mine\n", 1), encoding="utf-8")
    (tmp_path / "versions.lock").write_text(f"mine {ir.load_ruleset().version} " + "0" * 64 + "\n")
    r = subprocess.run([sys.executable, "-m", "incubator_rules", "serve", "--port", "0", "--rulesets", str(tmp_path)],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "released with other content" in r.stderr and "mine.yaml" in r.stderr


def test_an_unexpected_failure_is_a_500_problem_without_traceback(monkeypatch):
    import asyncio

    from incubator_rules.views.service import app as service_app

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/app.py line 12")

    monkeypatch.setattr(service_app, "evaluate", broken)
    app = service_app.create_app()

    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.post("/evaluate", json={"carrier": carrier_data("q6-maker-space.yaml")})

    r = asyncio.run(call())
    body = problem_of(r, 500, "InternalError")
    assert "secret" not in r.text and body["decision_id"] in body["detail"]


def test_a_stream_past_the_time_limit_ends_with_the_problem(monkeypatch):
    import asyncio

    from incubator_rules.views.service import app as service_app

    def slow(ev):
        time.sleep(0.01)
        return evaluation_record(ev)

    monkeypatch.setattr(service_app, "evaluation_record", slow)
    app = service_app.create_app(service_app.ServiceConfig(time_limit=0.5))
    body = "\n".join(c.to_json(indent=None) for c in generate_portfolio(200, "cut"))

    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.post("/evaluate-many", content=body, headers={"content-type": "application/x-ndjson"})

    r = asyncio.run(call())
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert 0 < len(lines) < 200
    assert all("carrier" in x for x in lines[:-1])
    assert lines[-1]["error"] == "TimeLimitError" and lines[-1]["decision_id"] == r.headers["decision-id"]


def test_the_decision_log_appends_whole_lines_from_many_threads(tmp_path):
    from incubator_rules.views.service.decisionlog import DecisionLog

    log = DecisionLog(tmp_path / "d.jsonl")
    record = {"text": "万" * 5000}

    def write(i):
        log.append({"i": i, **record})

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(500)))
    log.close()
    lines = (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["i"] for x in lines) == list(range(500))


def test_a_torn_last_line_does_not_swallow_the_next_decision(tmp_path):
    from incubator_rules.views.service.decisionlog import DecisionLog

    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"decision_id": "a"}\n{"decision_id": "b", "ti')
    log = DecisionLog(path)
    log.append({"decision_id": "c"})
    log.close()
    lines = path.read_text().splitlines()
    assert lines[0] == '{"decision_id": "a"}' and json.loads(lines[-1]) == {"decision_id": "c"} and len(lines) == 3


def test_serve_without_the_extra_says_which_to_install(tmp_path):
    code = ("import sys, builtins\nreal = builtins.__import__\n"
            "def fake(name, *a, **k):\n    if name.split('.')[0] in ('fastapi', 'uvicorn'):\n        raise ImportError(name)\n"
            "    return real(name, *a, **k)\nbuiltins.__import__ = fake\n"
            "from incubator_rules.views.cli import main\nsys.exit(main(['serve']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env={**os.environ})
    assert r.returncode == 2 and "incubator-rules[server]" in r.stderr


def test_evaluate_many_reads_a_json_lines_portfolio_with_its_header(client):
    carriers = [ir.load_carrier(EXAMPLES / n) for n in CARRIER_FILES]
    header = '{"portfolio": {"id": "wz", "name": "万州", "district": "万州区"}}'
    body = header + "\n" + "\n".join(c.to_json(indent=None) for c in carriers) + "\n"
    r = client.post("/evaluate-many", params={"as_of": AS_OF}, content=body, headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == expected_lines(carriers, as_of=AS_OF)
    late = carriers[0].to_json(indent=None) + "\n" + header + "\n"
    problem = problem_of(client.post("/evaluate-many", content=late, headers={"content-type": "application/x-ndjson"}), 422)
    assert problem["line"] == 2 and "header must be the first line" in problem["detail"]


def test_a_line_separator_inside_a_json_string_keeps_the_line_whole(client):
    carrier = ir.load_carrier(EXAMPLES / "q6-maker-space.yaml")
    data = carrier.to_dict()
    data["name"] = "甲\u2028乙"
    body = json.dumps(data, ensure_ascii=False) + "\r\n"
    r = client.post("/evaluate-many", params={"as_of": AS_OF}, content=body.encode("utf-8"),
                    headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    lines = r.text.split("\n")
    assert len(lines) == 2 and json.loads(lines[0])["carrier"]["name"] == "甲\u2028乙"


def test_compare_and_reconcile_run_on_the_engine_asked_for_and_log_it(client, folder):
    pytest.importorskip("durable")
    carriers = [carrier_data("q6-maker-space.yaml")]
    native = client.post("/compare", json={"portfolio": carriers, "as_of": AS_OF})
    durable = client.post("/compare", json={"portfolio": carriers, "as_of": AS_OF, "engine": "durable"})
    assert native.status_code == durable.status_code == 200 and native.json() == durable.json()
    settled = client.post("/reconcile", json={"portfolio": carriers, "as_of": AS_OF, "engine": "durable"})
    assert settled.status_code == 200
    assert settled.text == ir.reconcile([ir.Carrier.from_dict(carriers[0])], AS_OF, engine="durable").to_json()
    records = {json.loads(x)["decision_id"]: json.loads(x) for x in (folder / "decisions.jsonl").read_text().splitlines()}
    assert [records[r.headers["decision-id"]]["engine"] for r in (native, durable, settled)] == ["native", "durable", "durable"]
    problem_of(client.post("/compare", json={"portfolio": carriers, "engine": "rete"}), 422, "RequestError")

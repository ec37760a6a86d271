"""The durable-rules engine: rulesets compiled to RETE rules, run in a private host.

The compiler turns each deciding rule of a ruleset into durable-rules rules
that match event facts by type (a literal test) and join them with the
ruleset's column facts by carrier kind (an equality join, or ``$not`` of it).
Actions record which events each rule matched; the shared deciders of
``kinds.DECIDERS`` then decide in Python, as in the native engine. Only the
rule shapes and the host configuration that docs/engines.md lists as safe are
used.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import threading
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import attrs

from ..errors import EngineError
from ..kinds import DECIDERS, MATCHES, Context, scope_types
from ..kinds.base import title_kinds
from ..model.carrier import Event
from ..model.decision import Decision
from ..model.ruleset import Ruleset

DURABLE_VERSION = "2.0.28"
BUILD_313 = (
    "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject "
    f"pip install --no-binary :all: --no-cache-dir durable-rules=={DURABLE_VERSION}"
)

# Fact families: every fact the engine asserts carries one in "f".
EVENT = "event"
COLUMN = "column"
SESSION = "session"  # one per session; its rule always fires (see _Session)
NEVER = "never"  # no fact has it: the sink rules' second pattern never matches

# durable-rules holds global C state and its calls never release the GIL: one
# lock serialises every host, so at most one session is live in the process.
_LOCK = threading.Lock()


# --- compiling ----------------------------------------------------------------


@attrs.frozen
class CompiledRuleset:
    """A ruleset in durable-rules' dict form, with the constant facts every session starts from.

    ``name`` is derived from the definition's content, so two rulesets (or
    two versions of one) that match alike share one registration and any
    difference gets its own.
    """

    name: str
    rules: Mapping[str, Any]
    columns: tuple[str, ...]  # the ruleset's table columns; column facts name them by position
    column_facts: tuple[Mapping[str, Any], ...]
    deciding: tuple[int, ...]  # positions (in ruleset.rules) of the rules that have a decider

    @property
    def definition(self) -> dict[str, Any]:
        """A fresh copy of what ``register_rulesets`` takes (it mutates its argument)."""
        return {self.name: copy.deepcopy(dict(self.rules))}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for people: the durable-rules definition and the constant facts."""
        return {
            "engine": f"durable-rules {DURABLE_VERSION}",
            "name": self.name,
            "definition": self.definition,
            "columns": list(self.columns),
            "column_facts": [dict(f) for f in self.column_facts],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile a ruleset into durable-rules rules.

    For every rule with a decider and every event type it considers: one rule
    joining the event with the column fact of its carrier kind (action
    ``matched:<index>``) and one for events whose kind no column covers
    (``$not`` of the join, action ``no_column:<index>``). Two sink rules accept
    every fact and never fire, so a fact no rule wants is not an error. The
    ``session`` rule fires once per session, on the session fact.
    """
    rules: dict[str, Any] = {"session": {"all": [{"session": {"f": SESSION}}], "run": "session"}}
    deciding = []
    for index, rule in enumerate(ruleset.rules):
        scope = scope_types(rule)
        if rule.kind not in DECIDERS or scope == frozenset():  # a top-up decided with the award it tops up
            continue
        deciding.append(index)
        for etype in sorted(t.value for t in (scope or MATCHES[rule.kind])):
            event = {"event": {"$and": [{"f": EVENT}, {"t": etype}]}}
            join = {"$and": [{"f": COLUMN}, {"kind": {"event": "kind"}}]}
            name = f"{index:02d}-{_slug(rule.id)}/{etype}"
            rules[name] = {"all": [event, {"column": join}], "run": f"matched:{index}"}
            rules[f"{name}/no-column"] = {"all": [copy.deepcopy(event), {"column$not": join}], "run": f"no_column:{index}"}
    for family in (EVENT, COLUMN):
        rules[f"sink/{family}"] = {"all": [{"fact": {"f": family}}, {"never": {"f": NEVER}}], "run": "sink"}
    facts = tuple(
        {"f": COLUMN, "kind": kind.value, "column": i}
        for i, kinds in enumerate(ruleset.columns.values())
        for kind in kinds
    )
    digest = hashlib.sha256(json.dumps([rules, facts], sort_keys=True).encode("utf-8")).hexdigest()
    return CompiledRuleset(f"incubator-rules-{digest[:16]}", rules, tuple(ruleset.columns), facts, tuple(deciding))


def _slug(text: str) -> str:
    """A rule id for a readable rule name: ASCII letters, digits and dashes kept, anything else ``_``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "_" for ch in text)


def event_facts(ctx: Context) -> list[dict[str, Any]]:
    """One fact per event of the timeline, built from typed fields only.

    ``n`` is the event's position in the timeline; dates are ordinals. No
    text from the carrier (ids, notes, documents) reaches the engine.
    """
    out = []
    kinds = title_kinds(ctx)
    for n, e in enumerate(ctx.timeline):
        fact: dict[str, Any] = {
            "f": EVENT, "n": n, "t": e.type.value,
            "kind": kinds[n].value, "date": e.date.toordinal(),
        }
        if e.level is not None:
            fact["level"] = e.level.value
        out.append(fact)
    return out


# --- identities ------------------------------------------------------------------
#
# durable-rules identifies sessions, facts and field names by a 32-bit FNV-1a
# hash. The engine numbers each session's facts itself ("0", "1", ...: the
# first collision is at 797,186 facts) and picks session ids whose state-fact
# id ("sid-<sid>") collides with none of the session's fact ids.


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash durable-rules applies to ids and field names."""
    h = 2166136261
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


_IDS: list[str] = []  # the k-th fact of every session has id _IDS[k]
_ID_POSITION: dict[int, int] = {}  # hash of a fact id -> its position
_first_collision = 2**63


def _fact_ids(count: int) -> list[str]:
    """Ids for a session's first ``count`` facts, all with distinct hashes."""
    global _first_collision
    while len(_IDS) < count:
        k = len(_IDS)
        _IDS.append(str(k))
        if _ID_POSITION.setdefault(fnv1a32(_IDS[k]), k) != k:
            _first_collision = min(_first_collision, k)
    if count > _first_collision:
        raise EngineError(f"too many facts for durable-rules' 32-bit fact ids ({count})", field="events")
    return _IDS[:count]


# --- the host ------------------------------------------------------------------------


def load_durable() -> ModuleType:
    """``durable.engine``, or an EngineError saying why it cannot be used and how to get it."""
    try:
        module = importlib.import_module("durable.engine")
    except (ImportError, OSError) as exc:
        raise EngineError(
            f"the durable engine needs durable-rules {DURABLE_VERSION}, which cannot be imported here ({exc}). "
            f"Install it with: pip install 'incubator-rules[durable]' (Python 3.11 and 3.12); "
            f"on Python 3.13 build it with: {BUILD_313}",
            field="engine",
        ) from None
    from importlib import metadata  # only once durable-rules is loaded: it costs the package's import 20 ms

    try:
        version = metadata.version("durable-rules")
    except metadata.PackageNotFoundError:
        version = "unknown"
    if version != DURABLE_VERSION:
        raise EngineError(
            f"the durable engine was checked against durable-rules {DURABLE_VERSION} only, found {version}; "
            f"install it with: pip install durable-rules=={DURABLE_VERSION}",
            field="engine",
        )
    return module


@attrs.define
class _Session:
    """What one carrier's session collected: (rule position, event position, column position) per firing.

    ``started`` counts firings of the session rule. durable-rules 2.0.28 frees
    two uninitialised pointers when it deletes a session in which no action
    ran (a segfault, or an error under valgrind), so a session is deleted only
    once the session rule has fired in it.
    """

    sid: str
    spare_id: str  # for a second session fact, should the first batch fail
    fired: list[tuple[int, int, int | None]] = attrs.Factory(list)
    problems: list[str] = attrs.Factory(list)
    started: int = 0


def _started(session: _Session, index: int, c: Any) -> None:
    session.started += 1


def _matched(session: _Session, index: int, c: Any) -> None:
    session.fired.append((index, c.event["n"], c.column["column"]))


def _no_column(session: _Session, index: int, c: Any) -> None:
    session.fired.append((index, c.event["n"], None))


def _sink(session: _Session, index: int, c: Any) -> None:
    session.problems.append("a sink rule fired")


# The library code that compiled rules name in "run": "<action>:<rule index>".
ACTIONS: dict[str, Callable[[_Session, int, Any], None]] = {
    "session": _started,
    "matched": _matched,
    "no_column": _no_column,
    "sink": _sink,
}


def _host_class(durable: ModuleType) -> type:
    class Host(durable.Host):  # type: ignore[misc, name-defined]
        """A private host: no timer threads, actions bound by name to ``ACTIONS``."""

        def __init__(self) -> None:
            self.session: _Session | None = None
            super().__init__()

        def _run(self) -> None:
            """durable-rules starts two never-ending timer threads here; this host starts none."""

        def get_action(self, action_name: str) -> Callable[[Any], None]:
            name, _, index = action_name.partition(":")
            action = ACTIONS[name]
            position = int(index) if index else -1

            def run(c: Any) -> None:
                session = self.session
                if session is None or c.s["sid"] != session.sid:
                    raise RuntimeError(f"action {action_name} fired outside its session")
                action(session, position, c)

            return run

    return Host


class DurableEngine:
    """A durable-rules host owned by the library, with the rulesets registered in it.

    Thread-safe: every call into durable-rules holds one process-wide lock and
    each carrier's session is deleted before the lock is released.
    """

    def __init__(self) -> None:
        self._durable = load_durable()
        self._host = _host_class(self._durable)()
        self._compiled: dict[tuple[Any, ...], CompiledRuleset] = {}  # (ruleset sha256, rule scopes) -> compiled
        self._registered: set[str] = set()
        self._count = 0
        self.abandoned: list[str] = []  # sessions that could not be deleted safely (expected: none)

    @property
    def registered(self) -> frozenset[str]:
        """Names of the durable-rules rulesets registered in this engine's host."""
        return frozenset(self._registered)

    def compiled(self, ruleset: Ruleset) -> CompiledRuleset:
        """The ruleset compiled and registered (once per distinct compiled form)."""
        # a rule's scope may depend on the readings (a bound ``match``): one compiled form per scope
        key = (ruleset.sha256, tuple(map(scope_types, ruleset.rules)))
        found = self._compiled.get(key)
        if found is None:
            found = compile_ruleset(ruleset)
            with _LOCK:
                if found.name not in self._registered:
                    self._call(self._host.register_rulesets, found.definition)
                    self._registered.add(found.name)
            self._compiled[key] = found
        return found

    def match(self, ctx: Context) -> dict[int, list[Event]]:
        """For each deciding rule (by index in the ruleset), the events it matched, in timeline order."""
        compiled = self.compiled(ctx.ruleset)
        facts = [{"f": SESSION}] + [dict(f) for f in compiled.column_facts] + event_facts(ctx)
        with _LOCK:
            ids = _fact_ids(len(facts) + 1)  # one more for _close
            sid = self._next_sid(len(ids))
            for fact, fid in zip(facts, ids):
                fact["sid"], fact["id"] = sid, fid
            session = self._host.session = _Session(sid, ids[-1])
            try:
                try:
                    self._call(self._host.assert_facts, compiled.name, facts)
                    state = self._call(self._host.get_state, compiled.name, sid)
                finally:
                    closed = self._close(compiled.name, session)
            finally:
                self._host.session = None
        if "exception" in state:
            raise EngineError(f"a durable-rules action failed: {state['exception']}", field="engine")
        problems = list(session.problems)
        if session.started != 1:
            problems.append(f"the session rule fired {session.started} times, expected once")
        if not closed:
            problems.append(f"session {sid} could not be deleted safely and was left in durable-rules")
        if problems:
            raise EngineError("; ".join(problems), field="engine")
        return self._collect(ctx, compiled, session.fired)

    def decisions(self, ctx: Context) -> list[Decision]:
        """Every deciding rule's decisions on the events durable-rules matched for it."""
        matched = self.match(ctx)
        out: list[Decision] = []
        for index in sorted(matched):
            rule = ctx.ruleset.rules[index]
            out.extend(DECIDERS[rule.kind](rule, ctx, matched[index]))
        return out

    def _collect(self, ctx: Context, compiled: CompiledRuleset, fired: Sequence[tuple[int, int, int | None]]) -> dict[int, list[Event]]:
        """The matched events per rule, checked: each once, of a type the rule considers, joined with its own column."""
        positions: dict[int, set[int]] = {i: set() for i in compiled.deciding}
        kinds = title_kinds(ctx)
        for index, n, found in fired:
            event = ctx.timeline[n]
            rule = ctx.ruleset.rules[index]
            column = None if found is None else compiled.columns[found]
            expected = ctx.ruleset.column_for(kinds[n])
            if n in positions[index] or column != expected or event.type not in (scope_types(rule) or MATCHES[rule.kind]):
                raise EngineError(
                    f"durable-rules matched event {event.id} for rule {rule.id} wrongly "
                    f"(column {column!r}, expected {expected!r})",
                    field="engine",
                )
            positions[index].add(n)
        return {i: [ctx.timeline[n] for n in sorted(ns)] for i, ns in positions.items()}

    def _next_sid(self, facts: int) -> str:
        while True:
            self._count += 1
            sid = f"s{self._count}"
            if _ID_POSITION.get(fnv1a32(f"sid-{sid}"), facts) >= facts:
                return sid

    def _close(self, name: str, session: _Session) -> bool:
        """Delete the session once an action has run in it; False if it had to be left."""
        try:
            if not session.started:  # the batch failed before any action ran
                self._host.assert_fact(name, {"f": SESSION, "sid": session.sid, "id": session.spare_id})
            if session.started:
                self._host.delete_state(name, session.sid)
                return True
        except Exception:  # noqa: BLE001 - reported by the caller as an EngineError
            pass
        self.abandoned.append(session.sid)
        return False

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except EngineError:
            raise
        except (self._durable.MessageNotHandledException, self._durable.MessageObservedException) as exc:
            raise EngineError(f"durable-rules refused a fact: {exc.message}", field="engine") from None
        except Exception as exc:  # durable-rules raises bare Exception and its C error type
            raise EngineError(f"durable-rules failed: {type(exc).__name__}: {exc}", field="engine") from None

    def live_sessions(self, ruleset: Ruleset) -> list[str]:
        """Session ids this engine created that durable-rules still holds (none, after every call)."""
        name = self.compiled(ruleset).name
        live = []
        with _LOCK:
            for n in range(1, self._count + 1):
                try:
                    self._host.get_state(name, f"s{n}")
                except self._durable.durable_rules_engine.error:
                    continue
                live.append(f"s{n}")
        return live


_DEFAULT: DurableEngine | None = None


def default_engine() -> DurableEngine:
    """The engine ``evaluate(..., engine="durable")`` uses, created on first use."""
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            engine = DurableEngine()
            _DEFAULT = engine
        return _DEFAULT


def durable_decisions(ctx: Context) -> list[Decision]:
    """The decisions for one carrier, matched by durable-rules."""
    return default_engine().decisions(ctx)

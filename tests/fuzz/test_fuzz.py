"""Fuzz: mutated specs through validate and generate in-process, output through promtool/amtool.

Each case is one seed spec (the example, or one of the small specs in tests/specs) with one to
three mutations from the engine below: type swaps; huge, negative, NaN and infinite numbers; odd
durations; unicode and control characters (NUL, ESC, U+2028, U+0085, ...); injection payloads
(``"}`` ``{{`` ``]]`` ``\\n`` ...) put in every string field in turn; deleted, duplicated and
renamed keys; deep nesting; long strings; and edits of the YAML text itself (duplicated or
deleted lines, a cut-off end, raw control characters). Every case runs

- ``actions.validate`` and, when it passes, ``actions.generate`` in this process, through
  ``actions.run`` (the CLI's one error mapping): the exit code must be 0 or 3 for validate and 0
  for generate of a valid spec; nothing outside the SreGenError hierarchy may escape (no 123);
- every problem line must be ``file:line:col: ...`` with the line and column inside the file as an
  editor shows it;
- every generated rule file (and the PrometheusRule's groups) must pass ``promtool check rules``
  and every Alertmanager config ``amtool check-config``; the files of many cases are checked in
  one tool run.

Default: 300 cases from seed 12 (deterministic, ~30-60 s). Long mode, documented in tests/README.md:

    SRE_GEN_FUZZ_CASES=10000 .venv/bin/python -m pytest tests/fuzz -s

Environment: SRE_GEN_FUZZ_CASES (count), SRE_GEN_FUZZ_SEED (seed), SRE_GEN_FUZZ_START (first case
number, to split a long run into shards), SRE_GEN_FUZZ_ONLY (one case number, to reproduce
it), SRE_GEN_FUZZ_EXAMPLE_GENERATE (how many accepted mutants of the large example spec are
generated, default 4: each costs seconds; the small seeds are always generated),
SRE_GEN_FUZZ_GENERATE_EVERY (generate only the valid cases whose number is a multiple of it,
default 1: all; a long run on a busy machine may sample), SRE_GEN_FUZZ_KEEP (a folder: the
smallest spec of every failure class is written there).
The test prints the counts: cases, exit codes, failure classes.

Failure classes that other branches fix are tolerated while they are open: KNOWN_OPEN below.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from sre_gen import actions, errors

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = [
    ROOT / "specs" / "autogen-review-bot.yaml",
    *sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml")),
    ROOT / "tests" / "specs" / "keda-variant.yaml",
]
EXAMPLE = SEED_FILES[0]
# Parts of the example as seeds of their own: smaller, so generate is cheaper, and they reach the
# Alertmanager routing and the non-SLO sections that the small specs in tests/specs lack.
DERIVED = {
    "example-oncall.yaml": ["apiVersion", "settings", "incidentClasses", "oncall", "runbooks",
                            "incidentResponse", "alerts"],
    "example-sections.yaml": ["apiVersion", "settings", "goldenSignals", "security",
                              "disasterRecovery", "capacity", "autoscaling", "incidentClasses",
                              "oncall", "runbooks"],
}
CASE_TIMEOUT_S = 120  # one case (validate + generate); more is a failure class of its own

# Failure classes open in other lanes of issue 12 (fixed on their branches, not here): a failure
# whose signature matches one of these is counted and printed but does not fail the test.
# The integrator empties this list once i12-validate and i12-runs are merged.
KNOWN_OPEN: list[tuple[str, str]] = [
]


# ---- the mutation engine ----------------------------------------------------------------------

CONTROL = ["\x00", "\x1b", "\x07", "\x08", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff",
           "\u202e", "\t", "\r", "\x0b", "\x0c"]
INJECTIONS = ['"}', "{{", "}}", "]]", "[[", "\n", "{{ 1 }}x{{", '"', "'", "`", "\\", "${x}",
              "$(id)", "../../x", "</script>", "| x", "# x", "*x", "&x", "!!python/object x",
              'x"} or vector(1) #', "{{ .Labels.x }}", "%s%n", "\r\n", "x\n- y", "a: b",
              "{{window}}", "le=\"+Inf\"", "🔥", "e\u0301", "ǅ"]
WEIRD_NUMBERS = [0, -1, 1, -0.0, 0.5, 1e-300, 1e300, 1.0e308, 1e22, 1e30, 10**30, 2**63,
                 -(2**63), 10**400, float("nan"), float("inf"), float("-inf"), 99.999999999,
                 100, 100.0000001, 3.0000000000000004, 1e-7, 123456789.123456789, True]
DURATIONS = ["0s", "0m", "1s", "1ms", "1m", "5m", "59s", "1h1h", "5m1h", "1h5", "1.5h", "-5m",
             "999999999999w", "99999d", "1y", "100y", "30d", "31d", "1w", "2w", "7d", "6h",
             "10000h", "1h0m", "1d1s", " 5m", "5 m", "5m ", "5M", "", "1e3s", "0x10m"]
PLAUSIBLE_DURATIONS = ["1m", "2m", "5m", "10m", "15m", "30m", "1h", "2h", "6h", "12h", "1d", "3d",
                       "7d", "28d", "30d"]
PLAUSIBLE_NUMBERS = [0.1, 1, 2, 2.5, 3, 6, 10, 14.4, 50, 90, 95, 99, 99.5, 99.9, 99.95, 99.99]
# Free-text and label-value fields: any text is valid there, so payloads reach the generators.
TEXT_KEYS = {"description", "summary", "title", "team", "owner", "note", "component", "steps",
             "actions", "examples", "detection", "response", "mitigation", "resolution",
             "budgetExhausted", "budgetHealthy", "command", "rotation", "escalation", "selector",
             "labels", "annotations", "url", "channel", "route", "path", "job", "queue"}
DURATION_RE = re.compile(r"^\d+(ms|[smhdwy])(\d+(ms|[smhdwy]))*$")


def _paths(node: object, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _get(data: object, path: tuple) -> object:
    for part in path:
        data = data[part]
    return data


def _set(data: object, path: tuple, value: object) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _long(rng: random.Random) -> str:
    return rng.choice(["x", "ab", "é", "{{", "5m"]) * rng.choice([256, 300, 1000, 70_000])


class Mutator:
    """Data-level and text-level mutations; every choice comes from the case's own Random."""

    def __init__(self, rng: random.Random, case: int):
        self.rng = rng
        self.case = case

    def any_scalar(self) -> object:
        rng = self.rng
        return rng.choice([
            lambda: None, lambda: rng.choice([True, False]), lambda: rng.choice(WEIRD_NUMBERS),
            lambda: rng.choice(DURATIONS), lambda: rng.choice(INJECTIONS + CONTROL),
            lambda: _long(rng), lambda: "".join(rng.choice("aZ9_-.:{}[]\"' \n") for _ in range(8)),
        ])()

    def other_type(self, value: object) -> object:
        choices = [None, True, 0, 1.5, "text", [], {}, ["a", 1], {"k": "v"}, "5m", 99.9]
        return self.rng.choice([c for c in choices if type(c) is not type(value)])

    def nest(self, depth: int) -> object:
        node: object = "x"
        for _ in range(depth):
            node = [node] if self.rng.random() < 0.5 else {"k": node}
        return node

    def mutate_gently(self, data: dict) -> str:
        """A change that mostly keeps the spec valid, so generate and the tools see the payload:
        text in free-text fields and label values, plausible numbers and durations."""
        rng = self.rng
        paths = [(p, v) for p, v in _paths(data) if p]
        texts = [(p, v) for p, v in paths if isinstance(v, str)
                 and any(isinstance(k, str) and k in TEXT_KEYS for k in p)]
        op = rng.choice(["text", "text", "text", "number", "duration"])
        if op == "text" and texts:
            p, v = texts[(self.case * 5 + rng.randrange(5)) % len(texts)]
            payload = rng.choice(INJECTIONS + CONTROL + [_long(rng)])
            _set(data, p, rng.choice([v + payload, payload + v, payload]))
            return f"gentle: {payload[:20]!r} in {p}"
        if op == "number":
            numbers = [(p, v) for p, v in paths if isinstance(v, (int, float))
                       and not isinstance(v, bool)]
            if numbers:
                p, _ = rng.choice(numbers)
                _set(data, p, rng.choice(PLAUSIBLE_NUMBERS))
                return f"gentle: number {p}"
        durations = [(p, v) for p, v in paths if isinstance(v, str) and DURATION_RE.match(v)]
        if durations:
            p, _ = rng.choice(durations)
            _set(data, p, rng.choice(PLAUSIBLE_DURATIONS))
            return f"gentle: duration {p}"
        return "gentle: none"

    def mutate_data(self, data: dict) -> str:
        rng = self.rng
        paths = [(p, v) for p, v in _paths(data) if p]
        strings = [(p, v) for p, v in paths if isinstance(v, str)]
        numbers = [(p, v) for p, v in paths if isinstance(v, (int, float))
                   and not isinstance(v, bool)]
        durations = [(p, v) for p, v in strings if DURATION_RE.match(v)]
        containers = [(p, v) for p, v in paths if isinstance(v, (dict, list)) and v]
        op = rng.choices(
            ["inject", "string", "number", "duration", "retype", "delete", "duplicate",
             "rename", "nest", "swap", "junk"],
            weights=[6, 3, 4, 4, 2, 2, 2, 1, 1, 2, 1])[0]
        if op == "inject" and strings:  # every string field in turn, over the cases
            p, v = strings[(self.case * 7 + rng.randrange(3)) % len(strings)]
            payload = INJECTIONS[(self.case // 3) % len(INJECTIONS)]
            where = rng.choice(["end", "start", "middle", "replace"])
            new = {"end": v + payload, "start": payload + v, "replace": payload,
                   "middle": v[: len(v) // 2] + payload + v[len(v) // 2:]}[where]
            _set(data, p, new)
            return f"inject {payload!r} at {where} of {p}"
        if op == "string" and strings:
            p, v = rng.choice(strings)
            new = rng.choice([
                v + rng.choice(CONTROL), rng.choice(CONTROL) + v, _long(rng), "", " ", v.upper(),
                v + " ", v.replace("-", "_"), v + "\u2028" + v, v * 3,
            ])
            _set(data, p, new)
            return f"string {p}"
        if op == "number" and numbers:
            p, _ = rng.choice(numbers)
            _set(data, p, rng.choice(WEIRD_NUMBERS))
            return f"number {p}"
        if op == "duration" and durations:
            p, _ = rng.choice(durations)
            _set(data, p, rng.choice(DURATIONS))
            return f"duration {p}"
        if op == "retype" and paths:
            p, v = rng.choice(paths)
            _set(data, p, self.other_type(v))
            return f"retype {p}"
        if op == "delete" and containers:
            p, v = rng.choice(containers)
            key = rng.choice(list(v)) if isinstance(v, dict) else rng.randrange(len(v))
            del v[key]
            return f"delete {p + (key,)}"
        if op == "duplicate":
            lists = [(p, v) for p, v in containers if isinstance(v, list)]
            if lists:
                p, v = rng.choice(lists)
                v.append(copy.deepcopy(rng.choice(v)))
                return f"duplicate an item of {p}"
        if op == "rename" and containers:
            dicts = [(p, v) for p, v in containers if isinstance(v, dict)]
            if dicts:
                p, v = rng.choice(dicts)
                key = rng.choice(list(v))
                new = rng.choice([key.upper(), key + "s", key[:-1], "x" + key, key + "\u200b"])
                v[new] = v.pop(key)
                return f"rename {p + (key,)}"
        if op == "nest" and paths:
            p, _ = rng.choice(paths)
            _set(data, p, self.nest(rng.choice([3, 10, 40, 70])))
            return f"nest {p}"
        if op == "swap" and len(paths) > 1:
            (p, _), (_q, w) = rng.sample(paths, 2)
            with contextlib.suppress(TypeError, KeyError, IndexError):
                _set(data, p, copy.deepcopy(w))
            return f"swap into {p}"
        if paths:
            p, _ = rng.choice(paths)
            _set(data, p, self.any_scalar())
            return f"junk {p}"
        return "none"

    def mutate_text(self, text: str) -> str:
        rng = self.rng
        lines = text.split("\n")
        op = rng.choice(["dup-line", "del-line", "cut", "no-final-newline", "raw-char",
                         "indent", "crlf", "huge-int", "anchor"])
        if op == "dup-line" and len(lines) > 2:  # a duplicate key, or a doubled list item
            i = rng.randrange(len(lines) - 1)
            lines.insert(i, lines[i])
        elif op == "del-line" and len(lines) > 2:
            del lines[rng.randrange(len(lines) - 1)]
        elif op == "cut":
            return text[: rng.randrange(1, max(2, len(text)))]
        elif op == "no-final-newline":
            return text.rstrip("\n")
        elif op == "raw-char":
            i = rng.randrange(len(text))
            return text[:i] + rng.choice(CONTROL) + text[i:]
        elif op == "indent" and len(lines) > 2:
            i = rng.randrange(len(lines))
            lines[i] = rng.choice([" ", "\t", "  ", ""]) + lines[i]
        elif op == "crlf":
            return text.replace("\n", rng.choice(["\r\n", "\r"]))
        elif op == "huge-int" and len(lines) > 2:
            i = rng.randrange(len(lines))
            if ": " in lines[i]:
                lines[i] = lines[i].split(": ", 1)[0] + ": " + "9" * rng.choice([30, 400, 5000])
        elif op == "anchor":
            lines.append("x-bomb: &b [" + ", ".join(["*b0"] * 3) + "]")
            lines.insert(len(lines) - 1, "x-b0: &b0 [" + ", ".join(["z"] * 20) + "]")
        return "\n".join(lines)


@dataclass
class Case:
    number: int
    seed_file: Path
    text: str
    how: list[str]


def load_seeds() -> dict[Path, dict]:
    seeds = {path: yaml.safe_load(path.read_text(encoding="utf-8")) for path in SEED_FILES}
    example = seeds[EXAMPLE]
    for name, keys in DERIVED.items():
        part = {key: copy.deepcopy(example[key]) for key in keys}
        part["service"] = dict(example["service"], name=name.removesuffix(".yaml"))
        seeds[EXAMPLE.parent / name] = part
    return seeds


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


def make_case(seed: int, number: int, seeds: dict[Path, dict]) -> Case:
    rng = random.Random(f"{seed}:{number}")
    names = list(seeds)
    seed_file = rng.choices(names, weights=[3 if n.name.startswith("example") else 2
                                            for n in names])[0]
    data = copy.deepcopy(seeds[seed_file])
    mutator = Mutator(rng, number)
    gentle = rng.random() < 0.45
    mutate = mutator.mutate_gently if gentle else mutator.mutate_data
    how = [mutate(data) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    try:
        text = _dump(data)
    except (ValueError, yaml.YAMLError) as exc:  # e.g. a float PyYAML cannot represent
        text, how = _dump(seeds[seed_file]), [f"dump failed ({exc}): unmutated"]
    if not gentle and rng.random() < 0.25:
        how.append("text")
        text = mutator.mutate_text(text)
    return Case(number, seed_file, text, how)


# ---- running a case ---------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    exc: BaseException | None = None
    frames: list = field(default_factory=list)


class CaseTimeout(BaseException):
    pass


def invoke(action: Callable[[], None]) -> Outcome:
    """``actions.run(action)`` with its output captured and the exception behind a 123 kept."""
    seen: dict = {}

    def wrapped() -> None:
        try:
            action()
        except errors.SreGenError:
            raise
        except Exception as exc:
            seen["exc"] = exc
            seen["frames"] = traceback.extract_tb(exc.__traceback__)
            raise

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = actions.run(wrapped)
    return Outcome(code, out.getvalue(), err.getvalue(), seen.get("exc"), seen.get("frames", []))


def _norm(text: str, limit: int = 120) -> str:
    """A message reduced to its kind: quoted parts, numbers and paths blanked."""
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "Q", text)
    text = re.sub(r"/[^\s:]+", "P", text)
    text = re.sub(r"\d+", "N", text)
    return text[:limit]


def internal_signature(stage: str, outcome: Outcome) -> str:
    frames = [f for f in outcome.frames if "sre_gen" in f.filename]
    where = f"{Path(frames[-1].filename).stem}.{frames[-1].name}" if frames else "?"
    return f"{stage}: internal {type(outcome.exc).__name__} in {where}"


def editor_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def message_problems(display: str, text: str, stderr: str) -> list[str]:
    """Signatures of problem lines that are not ``file:line:col:`` inside the file."""
    out = []
    lines = stderr.splitlines()
    if not lines or not re.fullmatch(r"invalid spec: \d+ problems?", lines[-1]):
        return [f"validate: output does not end in 'invalid spec: N problems': {_norm(stderr)}"]
    body = lines[:-1]
    if int(lines[-1].split()[2]) != len(body):
        out.append("validate: a problem message spans several lines")
    shown = editor_lines(text)
    pattern = re.compile(re.escape(display) + r":(\d+):(\d+): (.+)")
    for line in body:
        m = pattern.fullmatch(line)
        if not m:
            out.append(f"validate: not file:line:col: {_norm(line)}")
            continue
        n, col, message = int(m[1]), int(m[2]), m[3]
        kind = _norm(message.split(": ", 1)[-1] if re.match(r"[\w\[\].'-]+: ", message)
                     else message, 50)
        if not 1 <= n <= len(shown):
            out.append(f"validate: line outside the file: {kind}")
        elif not 1 <= col <= len(shown[n - 1]) + 1:
            out.append(f"validate: column outside the line: {kind}")
        if len(line) > 1000:
            out.append(f"validate: message of {len(line)} characters: {kind}")
    return out


@contextlib.contextmanager
def time_limit(seconds: int):
    def fire(signum, frame):
        raise CaseTimeout()

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def memory_cap(extra_bytes: int):
    """Cap this process's address space for the run, so a case that would swallow the machine
    raises MemoryError (an internal error like any other) instead."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    cap = used + extra_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@dataclass
class Tally:
    cases: int = 0
    validate_codes: Counter = field(default_factory=Counter)
    generate_codes: Counter = field(default_factory=Counter)
    generated: int = 0
    skipped_generate: int = 0
    rule_files: int = 0
    am_files: int = 0
    failures: dict = field(default_factory=dict)  # signature -> [count, smallest Case, detail]

    def fail(self, signature: str, case: Case, detail: str) -> None:
        entry = self.failures.setdefault(signature, [0, case, detail])
        entry[0] += 1
        if len(case.text) < len(entry[1].text):
            entry[1], entry[2] = case, detail


def run_case(case: Case, work: Path, tally: Tally, generate: bool) -> list[tuple[Path, Case]]:
    """Validate (and generate) one case; returns the files to check with promtool/amtool."""
    folder = work / f"case-{case.number:05d}"
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_bytes(case.text.encode("utf-8", errors="surrogatepass"))
    from sre_gen import pipeline

    display = pipeline.display_path(spec)
    outcome = invoke(lambda: actions.validate([spec]))
    tally.validate_codes[outcome.code] += 1
    if outcome.code == errors.EXIT_INTERNAL:
        tally.fail(internal_signature("validate", outcome), case, outcome.stderr)
        return []
    if outcome.code == errors.EXIT_INVALID_SPEC:
        for sig in dict.fromkeys(message_problems(display, case.text, outcome.stderr)):
            tally.fail(sig, case, outcome.stderr[:2000])
        return []
    if outcome.code != 0:
        tally.fail(f"validate: exit {outcome.code}: {_norm(outcome.stderr)}", case, outcome.stderr)
        return []
    if not generate:
        tally.skipped_generate += 1
        return []
    out = folder / "generated"
    outcome = invoke(lambda: actions.generate([spec], out))
    tally.generate_codes[outcome.code] += 1
    if outcome.code == errors.EXIT_INTERNAL:
        tally.fail(internal_signature("generate", outcome), case, outcome.stderr)
        return []
    if outcome.code != 0:
        tally.fail(f"generate of a valid spec: exit {outcome.code}: {_norm(outcome.stderr)}",
                   case, outcome.stderr[:2000])
        return []
    tally.generated += 1
    files = []
    for rules in sorted(out.glob("*/prometheus/*-rules.yaml")):
        files.append((rules, case))
    for crd in sorted(out.glob("*/prometheus/prometheusrule.yaml")):
        groups = folder / "prometheusrule-groups.yaml"  # the CRD's spec is a rule file
        groups.write_text(yaml.safe_dump({"groups": [  # one object, or several (documents)
            g for doc in yaml.safe_load_all(crd.read_text()) for g in doc["spec"]["groups"]]}))
        files.append((groups, case))
    files += [(am, case) for am in sorted(out.glob("*/alertmanager/alertmanager.yml"))]
    return files


def check_with_tools(files: list[tuple[Path, Case]], tally: Tally, promtool: str,
                     amtool: str) -> None:
    """One promtool run for all rule files and one amtool run for all Alertmanager configs; when
    a run fails, each of its files again alone, to name the case."""
    rules = [(p, c) for p, c in files if not p.name.endswith(".yml")]
    configs = [(p, c) for p, c in files if p.name.endswith(".yml")]
    tally.rule_files += len(rules)
    tally.am_files += len(configs)
    for tool, args, batch in ((promtool, ["check", "rules"], rules),
                              (amtool, ["check-config"], configs)):
        if not batch:
            continue
        name = Path(tool).name
        proc = subprocess.run([tool, *args, *(str(p) for p, _ in batch)], capture_output=True,
                              text=True, timeout=600)
        if proc.returncode == 0:
            continue
        for path, case in batch:
            one = subprocess.run([tool, *args, str(path)], capture_output=True, text=True,
                                 timeout=120)
            if one.returncode != 0:
                text = (one.stderr + one.stdout).replace(str(path), "FILE")
                # promtool: "FILE: 7:15: group ..." lines; amtool: "Checking 'FILE'  FAILED: ..."
                lines = [ln for ln in text.splitlines() if ln.strip()]
                error = next((ln for ln in lines if not ln.startswith(
                    ("Checking", "  FAILED:", "amtool: error"))), None) or next(
                    (ln.split("FAILED:", 1)[1].strip() for ln in lines
                     if ln.startswith("Checking") and "FAILED:" in ln), " ".join(lines))
                what = "Alertmanager config" if name == "amtool" else "rules"
                tally.fail(f"{name} rejects the {what}: {_norm(error)}", case, text[:2000])


def known_open(signature: str) -> str | None:
    for pattern, lane in KNOWN_OPEN:
        if re.search(pattern, signature):
            return lane
    return None


def report(tally: Tally, seconds: float, seed: int) -> str:
    lines = [
        f"fuzz: {tally.cases} cases from seed {seed} in {seconds:.0f} s",
        "validate exit codes: " + ", ".join(f"{k}: {v}" for k, v in
                                            sorted(tally.validate_codes.items())),
        "generate exit codes: " + (", ".join(f"{k}: {v}" for k, v in
                                             sorted(tally.generate_codes.items())) or "none"),
        f"generated {tally.generated} (valid, not generated: {tally.skipped_generate}); "
        f"checked {tally.rule_files} rule files with promtool, {tally.am_files} Alertmanager "
        "configs with amtool",
        f"failure classes: {len(tally.failures)}",
    ]
    for sig, (count, case, detail) in sorted(tally.failures.items()):
        lane = known_open(sig)
        lines.append(f"  [{'known: ' + lane if lane else 'NEW'}] {count}x {sig}")
        lines.append(f"      case {case.number} ({case.seed_file.name}: {'; '.join(case.how)}), "
                     f"{len(case.text)} characters; says: {detail.strip()[:300]!r}")
    return "\n".join(lines)


def test_fuzz_validate_and_generate(tmp_path: Path, promtool: str, amtool: str) -> None:
    cases = int(os.environ.get("SRE_GEN_FUZZ_CASES", "300"))
    first = int(os.environ.get("SRE_GEN_FUZZ_START", "0"))
    seed = int(os.environ.get("SRE_GEN_FUZZ_SEED", "12"))
    only = os.environ.get("SRE_GEN_FUZZ_ONLY")
    example_budget = int(os.environ.get("SRE_GEN_FUZZ_EXAMPLE_GENERATE", "4"))
    every = int(os.environ.get("SRE_GEN_FUZZ_GENERATE_EVERY", "1"))
    numbers = [int(only)] if only else range(first, first + cases)
    seeds = load_seeds()
    tally = Tally()
    pending: list[tuple[Path, Case]] = []
    start = time.monotonic()
    with memory_cap(3 * 2**30):
        for number in numbers:
            case = make_case(seed, number, seeds)
            generate = (case.seed_file != EXAMPLE or example_budget > 0) and number % every == 0
            tally.cases += 1
            try:
                with time_limit(CASE_TIMEOUT_S):
                    files = run_case(case, tmp_path, tally, generate)
            except CaseTimeout:
                tally.fail(f"case takes more than {CASE_TIMEOUT_S} s", case, "")
                continue
            if files and case.seed_file == EXAMPLE:
                example_budget -= 1
            pending += files
            if len(pending) >= 120:
                check_with_tools(pending, tally, promtool, amtool)
                pending = []
                shutil.rmtree(tmp_path)  # keep the disk footprint of long runs small
                tmp_path.mkdir()
    check_with_tools(pending, tally, promtool, amtool)
    text = report(tally, time.monotonic() - start, seed)
    print("\n" + text)
    keep = os.environ.get("SRE_GEN_FUZZ_KEEP")
    if keep:
        folder = Path(keep)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.txt").write_text(text + "\n", encoding="utf-8")
        for i, (_sig, (_n, case, _d)) in enumerate(sorted(tally.failures.items())):
            (folder / f"class-{i:02d}-case-{case.number}.yaml").write_bytes(
                case.text.encode("utf-8", errors="surrogatepass"))
    new = [sig for sig in tally.failures if not known_open(sig)]
    assert not new, f"{len(new)} new failure class(es):\n{text}"
    assert tally.validate_codes[0] and tally.generated, "no mutant was valid: the engine is broken"
    assert sum(tally.validate_codes.values()) == tally.cases

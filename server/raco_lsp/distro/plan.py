"""The static plan of a distro-build site configuration (plain records).

The configuration module is read, never run: its one configuration expression
is evaluated by a small interpreter that knows literals, ``define``d constants,
``(current-mode)`` (against a given mode), comparisons, ``if``/``cond``/``case``/
``and``/``or``/``not``, ``list``, ``string-append``, arithmetic, ``spliceable``
and the three configuration forms.  Anything else is *unknown*: it is kept as
source text with the reason, and listed in ``undetermined``, never guessed.

The plan is the tree the build farm walks (what distro-build's drive-clients
does): groups pass their options down, a machine's effective options are the
merge of the enclosing groups' and its own (``#:custom`` hashes merge), and
each option remembers the node that set it.  For every machine the plan tells
its name and log file, how it is reached, its platform and the installer file
name (``dist-base-version-platform-suffix.ext``).  The platform part of an
installer name is the client's ``(system-library-subpath #f)``, known only when
it runs: it is written ``<platform:GUESS>``, GUESS read from the ``#:name``
the way ``make describe-clients`` does.  Readers never raise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from raco_lsp.core.records import Span
from raco_lsp.distro.catalog import FORMS
from raco_lsp.syntax.info import Datum, InfoSyntax, parse_info

DEFAULT_MODE = "default"
DEFAULT_DIST_BASE = "racket"  # the DIST_BASE makefile variable's default


class Sym(str):
    """A Racket symbol (a quoted ``'name``)."""


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the configuration."""

    text: str
    span: Span
    why: str


@dataclass
class Config:
    """The value of a ``machine``/``sequential``/``parallel`` call."""

    kind: str
    span: Span
    own: dict[str, Setting] = field(default_factory=dict)
    children: list[Config | Unknown] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)


Value = str | int | float | bool | Sym | list["Value"] | dict[str, "Value"] | Config | Unknown


@dataclass(frozen=True)
class Setting:
    """One keyword option as written: its value and where."""

    value: Value
    keyword_span: Span
    value_span: Span


@dataclass(frozen=True)
class Effective:
    """An option in effect at a node, and the node (id) that set it."""

    setting: Setting
    origin: str


@dataclass(frozen=True)
class Reach:
    """How the server reaches a machine: ``local`` (a shell on the server),
    ``ssh``, ``vbox`` (a VirtualBox VM, then SSH) or ``docker``."""

    kind: str
    summary: str


@dataclass
class PlanNode:
    kind: str  # machine, sequential, parallel, or unknown (a computed child)
    id: str  # "1", "1.2", ...: the path of child positions
    span: Span
    options: dict[str, Effective] = field(default_factory=dict)
    children: list[PlanNode] = field(default_factory=list)
    text: str = ""  # the source of an unknown child
    # Machines only:
    name: str | None = None
    log_file: str | None = None
    reach: Reach | None = None
    platform: str | None = None
    installer: str | None = None
    undetermined: list[str] = field(default_factory=list)

    def value(self, key: str) -> Value | None:
        e = self.options.get(key)
        return None if e is None else e.setting.value


@dataclass
class Plan:
    mode: str
    root: PlanNode

    def machines(self) -> Iterator[PlanNode]:
        def walk(n: PlanNode) -> Iterator[PlanNode]:
            if n.kind == "machine":
                yield n
            for c in n.children:
                yield from walk(c)

        return walk(self.root)


# -- reading the module's body -------------------------------------------------

# Body forms that declare rather than produce the configuration (what the
# language's module-begin lets through besides the one expression).
_DECLARATIONS = (
    "require",
    "provide",
    "module",
    "module*",
    "module+",
    "#%require",
    "#%provide",
    "begin-for-syntax",
)


def body_expressions(syntax: InfoSyntax) -> list[Datum]:
    """The module body's expressions, in order (``begin`` spliced): definitions
    and declarations left out.  A site configuration has exactly one."""
    out: list[Datum] = []

    def visit(d: Datum) -> None:
        head = d.head
        if head == "begin":
            for item in d.items[1:]:
                visit(item)
        elif head is not None and (head in _DECLARATIONS or head.startswith("define")):
            return
        else:
            out.append(d)

    for d in sorted(syntax.others, key=lambda d: d.start):
        visit(d)
    return out


def keyword_options(d: Datum) -> Iterator[tuple[Datum, Datum | None]]:
    """Each ``#:keyword value`` pair of a call (value None when missing)."""
    items = d.items[1:]
    i = 0
    while i < len(items):
        if items[i].kind == "keyword":
            value = items[i + 1] if i + 1 < len(items) else None
            if value is not None and value.kind == "keyword":
                value = None
            yield items[i], value
            i += 1 if value is None else 2
        else:
            i += 1


def positional(d: Datum) -> list[Datum]:
    """A call's arguments that are not keyword options."""
    taken = {id(v) for _, v in keyword_options(d) if v is not None}
    return [x for x in d.items[1:] if x.kind != "keyword" and id(x) not in taken]


# -- evaluating ---------------------------------------------------------------

_INT = re.compile(r"[+-]?\d+")
_DEC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.I)


class _Eval:
    def __init__(self, syntax: InfoSyntax, mode: str) -> None:
        self.mode = mode
        self.defines: dict[str, Datum | None] = {}
        for d in syntax.defines:
            self.defines.setdefault(d.name, d.value)
        self.active: set[str] = set()

    def unknown(self, d: Datum, why: str) -> Unknown:
        return Unknown(d.text, d.span, why)

    def quoted(self, d: Datum) -> Value:
        if d.kind == "symbol":
            return Sym(d.text)
        if d.kind == "list":
            return [self.quoted(x) for x in d.items]
        if d.kind in ("string", "number", "boolean"):
            return self.ev(d)
        return self.unknown(d, "a quoted datum of a kind the plan does not read")

    def ev(self, d: Datum) -> Value:
        if d.kind == "string":
            return d.value or ""
        if d.kind == "number":
            t = d.text
            if _INT.fullmatch(t):
                return int(t)
            if _DEC.fullmatch(t):
                return float(t)
            if t in ("+inf.0", "-inf.0"):
                return math.inf if t[0] == "+" else -math.inf
            return self.unknown(d, "a number the plan does not read")
        if d.kind == "boolean":
            return d.text in ("#t", "#true", "#T")
        if d.kind == "quote" and d.items:
            return self.quoted(d.items[0])
        if d.kind == "symbol":
            return self.variable(d)
        if d.kind == "list" and d.head is not None:
            return self.call(d, d.head)
        return self.unknown(d, "not a literal, a constant or a call the plan reads")

    def variable(self, d: Datum) -> Value:
        name = d.text
        if name in ("null", "empty"):
            return []
        if name in self.defines and name not in self.active:
            value = self.defines[name]
            if value is None:
                return self.unknown(d, f"{name} has no value")
            self.active.add(name)
            try:
                return self.ev(value)
            finally:
                self.active.discard(name)
        return self.unknown(d, f"{name} is not a constant defined in this module")

    def call(self, d: Datum, head: str) -> Value:
        args = d.items[1:]
        if head in FORMS:
            return self.config(d, head)
        if head == "current-mode" and not args:
            return self.mode
        if head == "current-stamp":
            return self.unknown(d, "(current-stamp) is the build's stamp, known when it runs")
        if head == "if" and len(args) == 3:
            test = self.ev(args[0])
            if isinstance(test, Unknown):
                return self.unknown(d, "its test is unknown: " + test.why)
            return self.ev(args[1] if test is not False else args[2])
        if head == "cond":
            return self.cond(d, args)
        if head == "case" and args:
            return self.case(d, args)
        values = [self.ev(a) for a in args]
        for v in values:
            if isinstance(v, Unknown):
                return self.unknown(d, v.why)
        if head == "list":
            return values
        if head == "spliceable":
            return self.spliceable(d)
        if head in ("equal?", "eq?", "eqv?", "string=?", "symbol=?") and len(values) == 2:
            return _same(values[0], values[1])
        if head == "not" and len(values) == 1:
            return values[0] is False
        if head == "and":
            out: Value = True
            for v in values:
                out = v
                if v is False:
                    break
            return out
        if head == "or":
            for v in values:
                if v is not False:
                    return v
            return False
        if head == "member" and len(values) == 2 and isinstance(values[1], list):
            tail = values[1]
            for i, v in enumerate(tail):
                if _same(values[0], v):
                    return tail[i:]
            return False
        if head == "string-append" and all(
            isinstance(v, str) and not isinstance(v, Sym) for v in values
        ):
            return "".join(str(v) for v in values)
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if head in ("+", "*", "-") and len(nums) == len(values) and nums:
            if head == "+":
                return sum(nums)
            if head == "*":
                return math.prod(nums)
            return -nums[0] if len(nums) == 1 else nums[0] - sum(nums[1:])
        return self.unknown(d, f"({head} ...) is computed when the configuration runs")

    def cond(self, d: Datum, clauses: tuple[Datum, ...]) -> Value:
        for c in clauses:
            if c.kind != "list" or not c.items:
                return self.unknown(d, "a cond clause the plan does not read")
            if c.items[0].kind == "symbol" and c.items[0].text == "else":
                test: Value = True
            else:
                test = self.ev(c.items[0])
            if isinstance(test, Unknown):
                return self.unknown(d, "a cond test is unknown: " + test.why)
            if test is not False:
                return self.ev(c.items[-1]) if len(c.items) > 1 else test
        return self.unknown(d, "no cond clause applies (the result is void)")

    def case(self, d: Datum, args: tuple[Datum, ...]) -> Value:
        key = self.ev(args[0])
        if isinstance(key, Unknown):
            return self.unknown(d, "its key is unknown: " + key.why)
        for c in args[1:]:
            if c.kind != "list" or len(c.items) < 2:
                return self.unknown(d, "a case clause the plan does not read")
            choices = c.items[0]
            if choices.kind == "symbol" and choices.text == "else":
                return self.ev(c.items[-1])
            if choices.kind != "list":
                return self.unknown(d, "a case clause the plan does not read")
            if any(_same(key, self.quoted(x)) for x in choices.items):
                return self.ev(c.items[-1])
        return self.unknown(d, "no case clause applies (the result is void)")

    def spliceable(self, d: Datum) -> Value:
        out: dict[str, Value] = {}
        for kw, v in keyword_options(d):
            if v is not None:
                out[kw.text[2:]] = self.ev(v)
        return out

    def config(self, d: Datum, kind: str) -> Config:
        c = Config(kind, d.span)
        for kw, v in keyword_options(d):
            name = kw.text[2:]
            if v is None or name in c.own:
                continue
            value = self.ev(v)
            if name == "splice":
                self.splice(c, kw, v, value)
            else:
                c.own[name] = Setting(value, kw.span, v.span)
        if kind != "machine":
            for item in positional(d):
                child = self.ev(item)
                if isinstance(child, (Config, Unknown)):
                    c.children.append(child)
                else:
                    c.children.append(self.unknown(item, "not a configuration"))
        return c

    def splice(self, c: Config, kw: Datum, v: Datum, value: Value) -> None:
        hashes = value if isinstance(value, list) else [value]
        if not all(isinstance(h, dict) for h in hashes):
            why = value.why if isinstance(value, Unknown) else "not spliceable options"
            c.undetermined.append(f"#:splice {v.text}: {why}")
            return
        for h in hashes:
            assert isinstance(h, dict)
            for k, x in h.items():
                c.own.setdefault(k, Setting(x, kw.span, v.span))


def _same(a: Value, b: Value) -> bool:
    return type(a) is type(b) and a == b


# -- the plan -----------------------------------------------------------------


def _str(v: Value | None) -> str | None:
    return v if isinstance(v, str) and not isinstance(v, Sym) else None


def simplify_log_file_name(name: str) -> str:
    """The log file name distro-build derives from a ``#:name``: ordering
    sequences ``{...}`` and ``|;*!()[]`` removed, outer spaces trimmed, inner
    runs of spaces made ``_``."""
    name = re.sub(r"\{[^}]*\}|[][|;*!()]", "", name)
    return re.sub(r" +", "_", name.strip(" "))


def _platform_guess(name: str) -> str:
    """The installer's platform part as ``describe-clients`` guesses it from
    a machine's name (the real one is the client's system-library-subpath)."""
    if re.search("source", name, re.I):
        return "src"
    if re.search("arm|aarch|apple", name, re.I):
        cpu = "aarch64" if "64" in name else "arm"
    elif re.search("risc-v|riscv", name, re.I):
        cpu = "riscv64"
    elif re.search("powerpc|ppc", name, re.I):
        cpu = "ppc32"
    else:
        cpu = "x86_64" if "64" in name else "i386"
    systems = [
        ("windows", "win32"),
        ("mac ?os", "macosx"),
        ("linux|natipkg", "linux"),
        ("openbsd", "openbsd"),
        ("freebsd", "freebsd"),
        ("netbsd", "netbsd"),
        ("openindiana|solaris", "solaris"),
    ]
    system = next((s for rx, s in systems if re.search(rx, name, re.I)), "???")
    natipkg = "-natipkg" if re.search("natipkg", name, re.I) else ""
    return f"{cpu}-{system}{natipkg}"


_Lookup = Callable[[str], "Value | None"]
_EXTENSIONS = {"unix": "sh", "macosx": "dmg", "windows": "exe"}


class _Planner:
    def __init__(self, version: str | None, dist_base: str) -> None:
        self.version = version
        self.dist_base = dist_base

    def node(self, c: Config | Unknown, nid: str, inherited: dict[str, Effective]) -> PlanNode:
        if isinstance(c, Unknown):
            return PlanNode(
                "unknown", nid, c.span, dict(inherited), text=c.text, undetermined=[c.why]
            )
        options = dict(inherited)
        undetermined = list(c.undetermined)
        for k, s in c.own.items():
            prev = options.get(k)
            if k == "custom" and prev is not None:
                a, b = prev.setting.value, s.value
                if isinstance(a, dict) and isinstance(b, dict):
                    s = Setting({**a, **b}, s.keyword_span, s.value_span)
            options[k] = Effective(s, nid)
            if isinstance(s.value, Unknown):
                undetermined.append(f"#:{k}: {s.value.why}")
        n = PlanNode(c.kind, nid, c.span, options, undetermined=undetermined)
        n.children = [self.node(x, f"{nid}.{i + 1}", options) for i, x in enumerate(c.children)]
        if c.kind == "machine":
            self.machine(n)
        return n

    def machine(self, n: PlanNode) -> None:
        def known(key: str) -> Value | None:
            v = n.value(key)
            return None if isinstance(v, Unknown) else v

        def unknown(key: str) -> bool:
            return isinstance(n.value(key), Unknown)

        if unknown("name") or (n.value("name") is None and unknown("host")):
            n.name = None
        else:
            n.name = _str(known("name")) or _str(known("host")) or "localhost"
        log = _str(known("log-file"))
        n.log_file = (
            log
            if log is not None
            else (
                simplify_log_file_name(n.name)
                if n.name is not None and not unknown("log-file")
                else None
            )
        )
        n.reach = self.reach(n, known)
        platform = known("platform")
        n.platform = str(platform) if isinstance(platform, Sym) else None
        if n.platform is None and not unknown("platform"):
            n.undetermined.append("platform: not given, so the server's (system-type)")
        if isinstance(known("dir"), Sym):
            n.undetermined.append(
                "no installer: a symbol #:dir builds a Racket for later #:racket users"
            )
            return
        n.installer = self.installer(n, known)

    def reach(self, n: PlanNode, known: _Lookup) -> Reach | None:
        if any(isinstance(n.value(k), Unknown) for k in ("vbox", "docker", "host", "user", "port")):
            return None
        vbox, docker = _str(known("vbox")), _str(known("docker"))
        host = _str(known("host")) or "localhost"
        user = _str(known("user"))
        port = known("port")
        port = port if isinstance(port, int) and not isinstance(port, bool) else 22
        target = f"{user + '@' if user else ''}{host}:{port}"
        if vbox is not None:
            return Reach("vbox", f'VirtualBox VM "{vbox}", then SSH {target}')
        if docker is not None:
            return Reach("docker", f"Docker image {docker}, container {host}")
        if host == "localhost" and user is None:
            return Reach("local", "localhost: a shell on the server, no SSH")
        return Reach("ssh", f"SSH {target}")

    def installer(self, n: PlanNode, known: _Lookup) -> str | None:
        keys: tuple[str, ...] = (
            "dist-base",
            "dist-suffix",
            "dist-vm-suffix",
            "versionless?",
            "dist-base-version",
        )
        keys += ("tgz?", "mac-pkg?", "platform", "target-platform", "cross-target")
        bad = [k for k in keys if isinstance(n.value(k), Unknown)]
        if bad or n.name is None:
            n.undetermined.append(
                "installer: depends on " + (", ".join("#:" + k for k in bad) or "#:name")
            )
            return None
        base = _str(known("dist-base")) or self.dist_base
        suffix = _str(known("dist-suffix")) or ""
        vm_suffix = _str(known("dist-vm-suffix")) or ""
        both = "-".join(s for s in (suffix, vm_suffix) if s)
        version = ""
        if known("versionless?") is not True:
            v = _str(known("dist-base-version")) or self.version
            version = "-" + (v if v is not None else "<version>")
            if v is None:
                n.undetermined.append("installer: the Racket version (none given)")
        if known("tgz?") is True:
            ext = "tgz"
        elif known("mac-pkg?") is True:
            ext = "pkg"
        else:
            target = known("target-platform")
            system = str(target) if isinstance(target, Sym) else None
            if system is None and known("cross-target") in (None, False):
                p = known("platform")
                system = str(p).split("/")[0] if isinstance(p, Sym) else None
            ext = _EXTENSIONS.get(str(system), "")
            if not ext:
                name = n.name
                guess = (
                    "exe"
                    if re.search("windows", name, re.I)
                    else ("dmg" if re.search("mac ?os", name, re.I) else "sh")
                )
                ext = f"<extension:{guess}>"
        platform = f"<platform:{_platform_guess(n.name)}>"
        return f"{base}{version}-{platform}{'-' + both if both else ''}.{ext}"


def plan_config(
    text: str,
    *,
    mode: str = DEFAULT_MODE,
    version: str | None = None,
    dist_base: str = DEFAULT_DIST_BASE,
) -> tuple[Plan | None, list[str]]:
    """The plan of the configuration ``text`` under ``mode`` (``--mode``,
    CONFIG_MODE), installers named with ``version`` unless the configuration
    gives one; None and why when there is no configuration expression to plan."""
    return plan_syntax(parse_info(text), mode=mode, version=version, dist_base=dist_base)


def plan_syntax(
    syntax: InfoSyntax,
    *,
    mode: str = DEFAULT_MODE,
    version: str | None = None,
    dist_base: str = DEFAULT_DIST_BASE,
) -> tuple[Plan | None, list[str]]:
    """``plan_config`` of a module already read."""
    exprs = body_expressions(syntax)
    if not exprs:
        return None, ["the module has no configuration expression"]
    ev = _Eval(syntax, mode)
    try:
        top = ev.ev(exprs[0])
    except RecursionError:
        return None, ["the configuration nests too deeply to read"]
    if isinstance(top, Unknown):
        return Plan(mode, _Planner(version, dist_base).node(top, "1", {})), []
    if not isinstance(top, Config):
        return None, [f"{exprs[0].text[:60]} is not a configuration"]
    return Plan(mode, _Planner(version, dist_base).node(top, "1", {})), []


# -- as data ------------------------------------------------------------------


def written(v: Value) -> str:
    """``v`` as Racket writes it (``~v``), as describe-clients prints options."""
    if isinstance(v, Unknown):
        return v.text
    if isinstance(v, bool):
        return "#t" if v else "#f"
    if isinstance(v, Sym):
        return "'" + v
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        if math.isinf(v):
            return "+inf.0" if v > 0 else "-inf.0"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        inner = " ".join(written(x).removeprefix("'") for x in v)
        return f"'({inner})"
    if isinstance(v, dict):
        pairs = " ".join(f"(#:{k} . {written(x).removeprefix(chr(39))})" for k, x in v.items())
        return f"'#hasheq({pairs})"
    return f"#<site-config:{v.kind}>"


def json_value(v: Value) -> object:
    """``v`` as JSON: unknown values are None, symbols their names."""
    if isinstance(v, (Unknown, Config)):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "+inf.0" if v > 0 else "-inf.0"
    if isinstance(v, list):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: json_value(x) for k, x in v.items()}
    return str(v) if isinstance(v, Sym) else v


def node_facts(n: PlanNode) -> tuple[str, list[str]]:
    """A node's title and its facts, one line each, for the text and Markdown
    views: a machine's reach, platform, installer and log, then the options
    set here and those inherited (with the node they come from)."""
    if n.kind == "unknown":
        return f"unknown (line {n.span.start.line + 1}): {n.text}", list(n.undetermined)
    title = f"{n.kind} {n.id} (line {n.span.start.line + 1})"
    facts: list[str] = []
    if n.kind == "machine":
        title = f'machine {n.id} "{n.name or "?"}" (line {n.span.start.line + 1})'
        facts.append("reach: " + (n.reach.summary if n.reach else "unknown"))
        facts.append("platform: " + (n.platform or "the server's"))
        facts.append("installer: " + (n.installer or "none"))
        facts.append("log: " + (f"build/log/{n.log_file}" if n.log_file else "unknown"))
    own = [f"#:{k} {written(e.setting.value)}" for k, e in n.options.items() if e.origin == n.id]
    inherited = [
        f"#:{k} {written(e.setting.value)} (from {e.origin})"
        for k, e in n.options.items()
        if e.origin != n.id
    ]
    if own:
        facts.append("options: " + ", ".join(own))
    if inherited and n.kind == "machine":
        facts.append("inherited: " + ", ".join(inherited))
    facts.extend("not known statically: " + u for u in n.undetermined)
    return title, facts


def walk_plan(n: PlanNode, depth: int = 0) -> Iterator[tuple[int, PlanNode]]:
    """Each node with its depth, parents first."""
    yield depth, n
    for c in n.children:
        yield from walk_plan(c, depth + 1)

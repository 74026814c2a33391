"""distro-build site configurations, statically: the keyword catalogue, the
checks on literal values, recognition, and fuzzed texts that never make the
checks, completion or hover raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raco_lsp.core.records import Pos
from raco_lsp.distro.assist import complete, hover
from raco_lsp.distro.catalog import KEYWORDS, SHAPES
from raco_lsp.distro.plan import Plan, PlanNode, plan_config
from raco_lsp.distro.validate import is_site_config, validate_config
from raco_lsp.info.assist import PackageInfo
from raco_lsp.lsp.protocol import DistroPlanNode, converter

SITE = (Path(__file__).parent / "fixtures" / "site.rkt").read_text()
PATH = Path("/nonexistent/build/site.rkt")
L = "#lang distro-build/config\n"


def messages(text: str) -> list[str]:
    return [f.problem.message for f in validate_config(PATH, L + text)]


def test_catalogue_has_the_keywords_the_issue_names() -> None:
    named = [
        "host",
        "port",
        "user",
        "dir",
        "vbox",
        "docker",
        "platform",
        "cross-target",
        "configure",
        "pkgs",
        "test-pkgs",
        "dist-name",
        "dist-base",
        "dist-dir",
        "dist-suffix",
        "dist-base-url",
        "site-dest",
        "max-snapshots",
        "max-parallel",
        "timeout",
        "clean?",
        "release?",
        "source?",
        "versionless?",
        "fake-installers?",
        "server-hosts",
        "server-port",
        "variant",
        "splice",
    ]
    assert [n for n in named if n not in KEYWORDS] == []
    assert all(k.shape in SHAPES for k in KEYWORDS.values())
    top = {k.name for k in KEYWORDS.values() if k.top}
    assert {"server-hosts", "server-port", "site-dest", "fake-installers?"} <= top
    assert not {"host", "pkgs", "dist-base-url", "platform"} & top


def test_recognition() -> None:
    assert is_site_config(Path("/w/farm.rkt"), ";; farm\n#lang distro-build/config\n(machine)")
    assert is_site_config(Path("/w/build/site.rkt"), "#lang racket/base\n")
    assert not is_site_config(Path("/w/site.rkt"), "#lang racket/base\n")
    assert not is_site_config(Path("/w/x.rkt"), "#lang distro-build/configure\n")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("(machine)", None),
        ('(machine #:pkgs (list "a" x))', None),  # x is computed: not judged
        ('(machine #:port (+ 20 2) #:user #f #:clean? (equal? (current-mode) "c"))', None),
        ("(machine #:port 0)", "#:port expects a positive exact integer, not 0"),
        (
            "(machine #:pause-before -1)",
            "#:pause-before expects a non-negative real number, not -1",
        ),
        ("(machine #:user 'me)", "#:user expects a string without spaces, or #f"),
        (
            "(machine #:pkgs '(base))",
            "#:pkgs expects a list of strings without spaces: base is not a string",
        ),
        ('(machine #:pkgs "base")', "#:pkgs expects a list of strings without spaces"),
        ("(machine #:docker \"img\" #:dir 'cs-build #:racket 'cs-build)", None),
        ("(machine #:bits 16)", "#:bits expects one of 32, 64, not 16"),
        ("(machine #:host)", "#:host has no value"),
        ('(machine #:host "a" #:host "b")', "#:host is given twice"),
        (
            '(machine #:dist-base-url "http://x.org/r")',
            "#:dist-base-url should end with /: the catalog and documentation URLs "
            "are made relative to it",
        ),
        ('(sequential #:server-hosts \'("localhost") (machine))', None),
    ],
)
def test_value_shapes(form: str, message: str | None) -> None:
    assert messages(form) == ([message] if message else [])


def test_top_level_only_inside_a_define_used_later_is_not_judged() -> None:
    # A machine defined apart may become the whole configuration: only lexical
    # nesting inside another configuration form is reported.
    assert messages('(define m (machine #:site-dest "s"))\nm\n') == []
    assert len(messages('(parallel (machine #:site-dest "s"))')) == 1


FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PKGS = {"base": PackageInfo("base", "installation", None)}


@FUZZ
@given(st.data())
def test_mutated_configurations_never_raise(data: st.DataObject) -> None:
    text = SITE
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        piece = data.draw(
            st.sampled_from(["", "(", ")", "#:", "'", '"', "#:platform ", "(machine ", "\t", "é"])
        )
        text = text[:i] + piece + text[j:]
    validate_config(PATH, text)
    plan_config(text, mode=data.draw(st.sampled_from(["default", "release"])), version="8.7")
    lines = text.split("\n")
    line = data.draw(st.integers(0, len(lines) - 1))
    pos = Pos(line, data.draw(st.integers(0, len(lines[line]))))
    complete(text, pos, PKGS)
    hover(text, pos)


# -- cross-keyword checks and the body ----------------------------------------


def found(text: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of each finding about ``L + text``."""
    return [
        (
            f.problem.code or "",
            f.problem.span.start.line,
            f.problem.span.start.col,
            f.problem.message,
        )
        for f in validate_config(PATH, L + text)
    ]


def test_vbox_and_docker_together_docker_is_ignored() -> None:
    text = '(machine #:host "h" #:vbox "Ubuntu" #:docker "racket/distro-build")'
    assert found(text) == [
        (
            "vbox-and-docker",
            1,
            text.index("#:docker"),
            "#:docker is ignored where #:vbox is given: the machine is a VirtualBox VM "
            "reached over SSH, not a Docker container",
        )
    ]
    # Inherited from the group: said once, at the group's #:docker.
    group = (
        '(parallel #:docker "img" (machine #:host "a" #:vbox "V") (machine #:host "b" #:vbox "W"))'
    )
    assert [(c, col) for c, _, col, _ in found(group)] == [
        ("vbox-and-docker", group.index("#:docker"))
    ]


def test_symbol_racket_needs_a_docker_client() -> None:
    text = "(machine #:racket 'cs-build)"
    assert found(text) == [
        (
            "symbol-needs-docker",
            1,
            text.index("'cs-build"),
            "a symbol for #:racket works only for a Docker client (#:docker without #:vbox)",
        )
    ]
    # The documented use: a Docker group builds a Racket with a symbol #:dir,
    # a later machine of the same group uses it through #:racket.
    ok = (
        '(sequential #:docker "racket/distro-build"\n'
        ' (machine #:host "native" #:dir \'cs-build)\n'
        ' (machine #:host "cross" #:racket \'cs-build))'
    )
    assert found(ok) == []
    vbox = '(machine #:docker "img" #:vbox "V" #:dir \'b #:recompile-cache \'c)'
    assert [c for c, *_ in found(vbox)] == [
        "vbox-and-docker",
        "symbol-needs-docker",
        "symbol-needs-docker",
    ]
    assert found('(machine #:racket "/usr/bin/racket" #:racket-x 1)')[0][0] == "unknown-keyword"


def test_duplicate_names_collide_in_the_log_folder() -> None:
    text = (
        "(parallel\n"
        ' (machine #:name "Linux | x64" #:host "a")\n'
        ' (machine #:name "Linux x64" #:host "b"))'
    )
    # Both log to build/log/Linux_x64 ("|" is dropped, spaces become "_").
    assert found(text) == [
        (
            "duplicate-name",
            3,
            text.split("\n")[2].index('"Linux x64"'),
            "another machine already writes the log file build/log/Linux_x64: "
            "give each machine its own #:name (or #:log-file)",
        )
    ]
    [f] = validate_config(PATH, L + text)
    assert [(r.span.start.line, r.message) for r in f.problem.related] == [
        (2, "the first machine with log Linux_x64")
    ]
    # The name defaults from #:host, and the host from "localhost".
    hosts = '(sequential (machine #:host "box") (machine #:host "box" #:port 2222))'
    assert [c for c, *_ in found(hosts)] == ["duplicate-name"]
    assert [c for c, *_ in found("(sequential (machine) (machine))")] == ["duplicate-name"]
    # A #:log-file of its own avoids the collision.
    assert found('(sequential (machine) (machine #:log-file "second"))') == []


def test_the_body_is_exactly_one_configuration_expression() -> None:
    assert found("(define x 1)\n") == [
        (
            "no-configuration",
            0,
            6,
            "no configuration expression: the module must end up with one "
            "(machine ...), (sequential ...) or (parallel ...)",
        )
    ]
    two = '(require racket/list)\n(machine #:host "a")\n(machine #:host "b")\n'
    assert found(two) == [
        (
            "second-expression",
            3,
            0,
            "a second top-level expression: a site configuration has exactly one",
        )
    ]
    assert [c for c, *_ in found('"site"')] == ["not-a-configuration"]
    # Definitions, requires and a submodule are not expressions; begin splices.
    fine = (
        "(require racket/string)\n(define (f x) x)\n(define-values (a b) (values 1 2))\n"
        "(module+ test)\n(begin (define y 2) (machine))\n"
    )
    assert found(fine) == []


# -- the plan -----------------------------------------------------------------


def node_json(n: PlanNode) -> dict[str, Any]:
    """The node as ``raco/distroPlan`` and ``raco-lsp distro plan --json`` send it."""
    out: dict[str, Any] = converter().unstructure(DistroPlanNode.of(n))
    return out


def plan_of(text: str, mode: str = "default") -> Plan:
    plan, problems = plan_config(text, mode=mode, version="8.7")
    assert problems == []
    assert plan is not None
    return plan


def by_name(plan: Plan) -> dict[str | None, PlanNode]:
    return {m.name: m for m in plan.machines()}


def origins(node: PlanNode, *keys: str) -> dict[str, tuple[object, str]]:
    j = node_json(node)["options"]
    assert isinstance(j, dict)
    return {k: (j[k]["value"], j[k]["from"]) for k in keys}


def test_plan_single_localhost_machine() -> None:
    # The documentation's first example (and the makefile's default build/site.rkt).
    plan = plan_of(L + "(machine)\n")
    [m] = plan.machines()
    assert (m.kind, m.id, m.name, m.log_file) == ("machine", "1", "localhost", "localhost")
    assert m.reach is not None and m.reach.kind == "local"
    assert m.platform is None
    # The platform is the client's, known when it runs: marked, never guessed silently.
    assert m.installer == "racket-8.7-<platform:i386-???>.<extension:sh>"
    assert "platform: not given, so the server's (system-type)" in m.undetermined


def test_plan_of_the_farm_inherits_group_options() -> None:
    plan = plan_of(SITE)
    root = plan.root
    assert (root.kind, [c.kind for c in root.children]) == (
        "sequential",
        ["parallel", "machine", "machine"],
    )
    ms = by_name(plan)
    linux = ms["Racket | {1} Linux | x86_64 (Docker)"]
    assert origins(linux, "pkgs", "dist-base-url", "j", "host") == {
        "pkgs": (["main-distribution"], "1"),
        "dist-base-url": ("https://downloads.example.org/racket/", "1"),
        "j": (4, "1.1"),
        "host": ("linux-x86_64", "1.1.1"),
    }
    assert linux.reach is not None
    assert (linux.reach.kind, linux.reach.summary) == (
        "docker",
        "Docker image racket/distro-build, container linux-x86_64",
    )
    assert linux.installer == "racket-8.7-<platform:x86_64-linux>.sh"
    assert linux.log_file == "Racket_Linux_x86_64_Docker"
    i386 = ms["Racket | {1} Linux | i386 (Docker)"]
    assert i386.installer == "racket-8.7-<platform:i386-linux>.<extension:sh>"
    win = ms["Racket | {2} Windows | x64"]
    assert win.id == "1.2" and "j" not in win.options  # #:j is the parallel group's only
    assert win.reach is not None
    assert win.reach.summary == 'VirtualBox VM "Windows 10", then SSH win10:22'
    assert (win.platform, win.installer) == ("windows", "racket-8.7-<platform:x86_64-win32>.exe")
    mac = ms["Racket | {3} Mac OS | Apple Silicon"]
    assert mac.reach is not None
    assert (mac.reach.kind, mac.reach.summary) == ("ssh", "SSH builder@mac-mini.local:2222")
    # describe-clients reads "64" for aarch64: without it "Apple" guesses arm
    assert mac.installer == "racket-8.7-<platform:arm-macosx>.dmg"
    assert origins(mac, "pkgs", "test-pkgs", "timeout") == {
        "pkgs": (["main-distribution"], "1"),
        "test-pkgs": (["compiler-lib"], "1.3"),
        "timeout": (3600, "1.3"),
    }
    assert mac.undetermined == []


def test_plan_names_installers_from_the_dist_options() -> None:
    text = (
        L + '(sequential #:dist-base "myracket" #:dist-suffix "jammy"\n'
        ' (machine #:name "Linux 64" #:platform \'unix #:dist-vm-suffix "cs")\n'
        ' (machine #:name "Linux 64 tgz" #:platform \'unix #:tgz? #t #:versionless? #t)\n'
        ' (machine #:name "Mac OS 64" #:platform \'macosx #:mac-pkg? #t\n'
        '          #:dist-base-version "9.0.0.1")\n'
        ' (machine #:host "builder" #:docker "img" #:dir \'native))'
    )
    assert [m.installer for m in plan_of(text).machines()] == [
        "myracket-8.7-<platform:x86_64-linux>-jammy-cs.sh",
        "myracket-<platform:x86_64-linux>-jammy.tgz",
        "myracket-9.0.0.1-<platform:x86_64-macosx>-jammy.pkg",
        None,  # a symbol #:dir builds a Racket for later machines, no installer
    ]


MODES = (
    L + '(define release? (equal? (current-mode) "release"))\n'
    '(define base-url (if release? "https://download.example.org/" "https://pre.example.org/"))\n'
    "(sequential\n"
    " #:dist-base-url base-url\n"
    " #:release? release?\n"
    ' #:dist-suffix (cond [release? ""] [else "snapshot"])\n'
    ' #:clean? (case (current-mode) [("release" "clean") #t] [else #f])\n'
    ' #:dist-base-version "8.7"\n'
    ' (machine #:name "Linux 64" #:platform \'unix #:timeout (* 60 60)))\n'
)


@pytest.mark.parametrize(
    ("mode", "url", "release", "clean", "installer"),
    [
        (
            "default",
            "https://pre.example.org/",
            False,
            False,
            "racket-8.7-<platform:x86_64-linux>-snapshot.sh",
        ),
        (
            "release",
            "https://download.example.org/",
            True,
            True,
            "racket-8.7-<platform:x86_64-linux>.sh",
        ),
        (
            "clean",
            "https://pre.example.org/",
            False,
            True,
            "racket-8.7-<platform:x86_64-linux>-snapshot.sh",
        ),
    ],
)
def test_plan_resolves_current_mode(
    mode: str, url: str, release: bool, clean: bool, installer: str
) -> None:
    [m] = plan_of(MODES, mode).machines()
    assert (m.value("dist-base-url"), m.value("release?"), m.value("clean?")) == (
        url,
        release,
        clean,
    )
    assert (m.value("timeout"), m.installer) == (3600, installer)
    assert found(MODES[len(L) :]) == []


def test_plan_lists_what_it_cannot_know() -> None:
    text = (
        L + "(require distro-build/main-distribution)\n"
        "(sequential\n"
        ' #:dist-base-url (string-append "http://my-server.domain/snapshots/"\n'
        '                                (current-stamp) "/")\n'
        " #:splice (make-spliceable-limits)\n"
        ' (machine #:name "Minimal Racket | My Platform" #:pkgs \'() #:dist-base (pick-base))\n'
        " (make-machines))"
    )
    plan = plan_of(text)
    j = node_json(plan.root)
    assert j["undetermined"] == [
        "#:splice (make-spliceable-limits): (make-spliceable-limits ...) is computed when the "
        "configuration runs",
        "#:dist-base-url: (current-stamp) is the build's stamp, known when it runs",
    ]
    children = j["children"]
    assert isinstance(children, list)
    m, unknown = children
    assert m["installer"] is None
    assert "installer: depends on #:dist-base" in m["undetermined"]
    assert (unknown["kind"], unknown["text"]) == ("unknown", "(make-machines)")
    assert m["options"]["dist-base-url"]["value"] is None


def test_plan_of_bad_input_is_none_with_a_reason() -> None:
    assert plan_config(L) == (None, ["the module has no configuration expression"])
    assert plan_config(L + '"x"') == (None, ['"x" is not a configuration'])
    # A constant that refers to itself does not loop.
    plan, _ = plan_config(L + "(define m m)\n(parallel m)")
    assert plan is not None and plan.root.children[0].kind == "unknown"


CONFIG_PARTS = st.recursive(
    st.sampled_from(
        [
            '"a b"',
            '"x"',
            "1",
            "-2.5",
            "+inf.0",
            "#t",
            "#f",
            "'unix",
            '\'("p")',
            "(current-mode)",
            "m",
            "z",
        ]
    ),
    lambda inner: st.builds(
        lambda head, kws, args: (
            f"({head} {' '.join(k + ' ' + v for k, v in kws)} {' '.join(args)})"
        ),
        st.sampled_from(
            [
                "machine",
                "sequential",
                "parallel",
                "if",
                "cond",
                "case",
                "list",
                "equal?",
                "spliceable",
                "and",
                "*",
            ]
        ),
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "#:host",
                        "#:name",
                        "#:docker",
                        "#:vbox",
                        "#:racket",
                        "#:dir",
                        "#:splice",
                        "#:custom",
                        "#:dist-suffix",
                    ]
                ),
                inner,
            ),
            max_size=3,
        ),
        st.lists(inner, max_size=3),
    ),
    max_leaves=12,
)


@FUZZ
@given(st.lists(CONFIG_PARTS, min_size=0, max_size=3), st.sampled_from(["default", "release"]))
def test_generated_configurations_never_raise(body: list[str], mode: str) -> None:
    text = L + "(define m (machine))\n" + "\n".join(body)
    validate_config(PATH, text)
    plan, problems = plan_config(text, mode=mode)
    assert (plan is None) == bool(problems)
    if plan is not None:
        node_json(plan.root)

import subprocess
from pathlib import Path

import pytest

from raco_lsp.racket.deps import compiled_paths, discard_unreadable_dep, parse_dep
from raco_lsp.racket.graph.index import ModuleGraph
from raco_lsp.racket.graph.staleness import Staleness
from raco_lsp.racket.install import load_install_info_sync
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.modpath import Resolver

REAL = (
    b'("8.7" ta6le ("5fb9751f777d06b1a875e7a105443bf64f53d661" . '
    b'"651f8dfabf9371b37054f867f8867bcf89b26b95") #"/home/dev/demo/p1/helper.rkt" '
    b'#"/home/dev/demo/p1/util.rkt" (collects #"racket" #"base.rkt") '
    b'(collects #"racket" #"list.rkt") (ext . #"/home/dev/demo/p1/ext.txt"))\n'
)


def test_reads_the_documented_form() -> None:
    dep, problems = parse_dep(REAL)
    assert problems == []
    assert dep is not None
    assert (dep.version, dep.vm) == ("8.7", "ta6le")
    assert dep.source_sha1 == "5fb9751f777d06b1a875e7a105443bf64f53d661"
    assert [(e.kind, e.path, e.collects) for e in dep.deps] == [
        ("module", Path("/home/dev/demo/p1/helper.rkt"), None),
        ("module", Path("/home/dev/demo/p1/util.rkt"), None),
        ("module", None, ("racket", "base.rkt")),
        ("module", None, ("racket", "list.rkt")),
        ("ext", Path("/home/dev/demo/p1/ext.txt"), None),
    ]


def test_indirect_ext_collects_and_machine_independent_forms() -> None:
    dep, problems = parse_dep(
        b'("8.7" #f ("a" . ("b" . "c")) (indirect . #"/x/m.rkt") '
        b'(indirect collects #"r" #"b.rkt") (ext collects #"openssl" #"dh.pem"))'
    )
    assert problems == []
    assert dep is not None
    assert dep.vm is None
    assert dep.assume_compiled_sha1 == "c"
    assert [(e.kind, e.indirect, e.path, e.collects) for e in dep.deps] == [
        ("module", True, Path("/x/m.rkt"), None),
        ("module", True, None, ("r", "b.rkt")),
        ("ext", False, None, ("openssl", "dh.pem")),
    ]


def test_escaped_bytes_in_paths() -> None:
    dep, _ = parse_dep(b'("8.7" ta6le ("a" . "b") #"/w/sp ace/\\316\\273.rkt")')
    assert dep is not None
    assert dep.deps[0].path == Path("/w/sp ace/λ.rkt")


@pytest.mark.parametrize(
    "data",
    [b"", b"(", b'("8.7" ta6le', b"\x00\xff\xfe", b"(1 2 3)", b'("8.7" ta6le "x")', b")))"],
)
def test_malformed_never_raises(data: bytes) -> None:
    dep, problems = parse_dep(data)
    assert dep is None
    assert problems


def test_unknown_entries_are_reported_not_fatal() -> None:
    dep, problems = parse_dep(b'("8.7" ta6le ("a" . "b") (weird 1) #"/ok.rkt")')
    assert dep is not None
    assert len(dep.deps) == 1
    assert problems == ["unrecognised dependency entry ['weird', 1]"]


def test_compiled_paths_follow_cm_naming() -> None:
    zo, dep = compiled_paths(Path("/w/a.b.rkt"))
    assert zo == Path("/w/compiled/a_b_rkt.zo")
    assert dep == Path("/w/compiled/a_b_rkt.dep")


@pytest.mark.parametrize(
    "data",
    [
        REAL,
        b'("8.7" #f ("a" . ("b" . "c")) (indirect . #"/x/m.rkt") '
        b'(indirect collects #"r" #"b.rkt") (ext collects #"openssl" #"dh.pem"))',
        b'("8.7" ta6le ("a" . "b") #"/w/sp ace/\\316\\273.rkt")',
        b'("8.7" ta6le ("a" . "b"))',
    ],
)
def test_fast_reader_agrees_with_general_reader(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from raco_lsp.racket import deps

    fast = deps._fast_parse(data)
    assert fast is not None
    monkeypatch.setattr(deps, "_fast_parse", lambda d: None)
    assert parse_dep(data) == (fast, [])


@pytest.mark.parametrize(
    "data",
    [
        b'("8.7" ta6le ("a" . "b") #"/x/m.rkt" junk #"/x/n.rkt")',
        b'("8.7" ta6le ("a" . "b") #"/x/m.rkt") #"/x/n.rkt"',
        b'("8.7" ta6le ("a" . "b") #"/x/m.rkt" (collects #"r" #"b.rkt")',
        b'("8.7" ta6le ("a" . "b") ) #"/x/m.rkt"',
        b'("8.7" ta6le ("a" . "b") #"/x/m.rkt")) ',
    ],
)
def test_fast_reader_leaves_any_other_shape_to_the_general_reader(data: bytes) -> None:
    from raco_lsp.racket import deps

    assert deps._fast_parse(data) is None
    parse_dep(data)  # never raises


def test_fast_reader_agrees_with_general_reader_on_the_installation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every 7th compiled installation module: same record either way."""
    import os

    from raco_lsp.racket import deps
    from raco_lsp.racket.install import load_install_info_sync
    from raco_lsp.racket.locate import locate_racket

    install, _ = locate_racket()
    assert install is not None
    info, _ = load_install_info_sync(install)
    assert info is not None
    roots = [str(d) for d in info.installation_dirs()]
    roots += [r for r in info.compiled_roots if r != "same"]
    files = sorted(
        Path(d) / f
        for root in roots
        for d, _, fs in os.walk(root)
        for f in fs
        if f.endswith(".dep")
    )[::7]
    assert len(files) > 300
    general = deps._fast_parse
    for f in files:
        data = f.read_bytes()
        fast = general(data)
        assert fast is not None, f
        with monkeypatch.context() as m:
            m.setattr(deps, "_fast_parse", lambda d: None)
            assert parse_dep(data) == (fast, []), f


def staleness(src: Path) -> Staleness:
    """What the module graph, the one staleness oracle, says of ``src`` now."""
    install, _ = locate_racket()
    assert install is not None
    info, _ = load_install_info_sync(install)
    assert info is not None
    g = ModuleGraph([src.parent], Resolver(info))
    g.scan()
    return g.staleness(src)


@pytest.mark.parametrize("broken", [b'("8.7" ta6le ("0a1b', b"garbage", b""])
def test_an_unreadable_dep_is_stale_and_removing_it_lets_cm_recompile(
    tmp_path: Path, broken: bytes
) -> None:
    src = tmp_path / "m.rkt"
    src.write_text("#lang racket/base\n(define x 1)\n")
    subprocess.run(["raco", "make", str(src)], check=True, stdin=subprocess.DEVNULL)
    dep_path = compiled_paths(src)[1]
    dep_path.write_bytes(broken)
    # compiler/cm 8.7 itself fails on such a .dep, every time.
    for _ in range(2):
        run = subprocess.run(
            ["raco", "make", str(src)], capture_output=True, stdin=subprocess.DEVNULL
        )
        assert run.returncode != 0
    reason = staleness(src).reason
    assert reason is not None and reason.startswith("unreadable .dep (m_rkt.dep: ")
    assert discard_unreadable_dep(src) == reason
    assert not dep_path.exists()
    subprocess.run(["raco", "make", str(src)], check=True, stdin=subprocess.DEVNULL)
    assert parse_dep(dep_path.read_bytes())[0] is not None
    assert not staleness(src).stale
    assert discard_unreadable_dep(src) is None  # a readable .dep stays
    assert dep_path.exists()

"""Reading workspace files (core/files.py) and the one walker
(racket/workspace.py): special files, size caps, symlink loops."""

from __future__ import annotations

import os
from pathlib import Path

from raco_lsp.core.files import read_file
from raco_lsp.info.omits import compile_omit_rules, raco_test_omit_rules
from raco_lsp.racket.workspace import find_modules, walk_files, walked


def test_read_file_reads_only_regular_files_up_to_the_cap(tmp_path: Path) -> None:
    small = tmp_path / "small.rkt"
    small.write_bytes(b"x" * 100)
    assert read_file(small, 100) == (b"x" * 100, None)
    data, problem = read_file(small, 99)
    assert data is None and problem is not None and "maxFileSize" in problem
    link = tmp_path / "link.rkt"
    link.symlink_to(small)
    assert read_file(link, 100) == (b"x" * 100, None)
    zero = tmp_path / "zero.rkt"
    zero.symlink_to("/dev/zero")
    data, problem = read_file(zero, 1 << 20)
    assert data is None and problem is not None and "character device" in problem
    fifo = tmp_path / "pipe.rkt"
    os.mkfifo(fifo)  # nobody writes: opening or reading it would block
    data, problem = read_file(fifo, 1 << 20)
    assert data is None and problem is not None and "FIFO" in problem
    data, problem = read_file(tmp_path / "missing.rkt", 100)
    assert data is None and problem is not None and "cannot read" in problem
    data, problem = read_file(tmp_path, 100)
    assert data is None and problem is not None


def test_walker_follows_links_once_and_skips_what_raco_setup_skips(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    sub = ws / "sub"
    sub.mkdir(parents=True)
    for rel in ["a.rkt", "sub/b.rkt", "sub/deep/c.rkt", "compiled/x.rkt", "doc/d.rkt",
                "CVS/v.rkt", "node_modules/n.rkt", ".hidden/h.rkt", ".dot.rkt",
                "notes.txt"]:  # fmt: skip
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text("#lang racket/base\n")
    (sub / "self").symlink_to(".")
    (sub / "up").symlink_to("..")
    (sub / "zero.rkt").symlink_to("/dev/zero")
    (sub / "dangling.rkt").symlink_to("nowhere.rkt")
    os.mkfifo(ws / "pipe.rkt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.rkt").write_text("#lang racket/base\n")
    (ws / "linked").symlink_to(outside)
    got = [p.relative_to(ws).as_posix() for p in walk_files(ws, lambda n: n.endswith(".rkt"))]
    assert got == ["a.rkt", "linked/o.rkt", "node_modules/n.rkt", "sub/b.rkt", "sub/deep/c.rkt"]
    shallow = walk_files(ws, lambda n: n.endswith(".rkt"), max_depth=1)
    assert [p.relative_to(ws).as_posix() for p in shallow] == [
        "a.rkt",
        "linked/o.rkt",
        "node_modules/n.rkt",
        "sub/b.rkt",
    ]
    modules, problems = find_modules([ws, ws / "pipe.rkt", ws / "nope.rkt"])
    assert [m.relative_to(ws).as_posix() for m in modules] == [
        "a.rkt",
        "linked/o.rkt",
        "node_modules/n.rkt",
        "sub/b.rkt",
        "sub/deep/c.rkt",
    ]
    assert len(problems) == 2 and "FIFO" in problems[0] and "no such file" in problems[1]


def test_compile_omit_paths_as_raco_setup_reads_them(tmp_path: Path) -> None:
    """Values computed from other definitions, nested paths, and regexps
    matched against the path from the info.rkt's directory (compared with
    real raco setup in tests/test_cli_check.py)."""
    ws = tmp_path / "ws"
    for rel in ["a.rkt", "x/skip.rkt", "x/y/deep.rkt", "x/y/keep.rkt", "tmp1.rkt", "x/tmp2.rkt",
                "x/z/tmp3.rkt", "x/z/info.rkt", ".h/h.rkt", "doc/d.rkt", "x/.d.rkt"]:  # fmt: skip
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text("#lang racket/base\n")
    (ws / "info.rkt").write_text(
        '#lang info\n(define skip \'("x/skip.rkt" "x/y/deep.rkt"))\n'
        '(define compile-omit-paths (append skip (list #rx"^x/tmp")))\n'
    )
    (ws / "x" / "z" / "info.rkt").write_text("#lang info\n(define compile-omit-paths 'all)\n")
    rules = compile_omit_rules()
    got = [p.relative_to(ws).as_posix() for p in walk_files(ws, lambda n: True, rules=rules)]
    assert got == ["a.rkt", "info.rkt", "tmp1.rkt", "x/y/keep.rkt"]
    assert [p.relative_to(ws).as_posix() for p in rules.omitted] == [
        "x/skip.rkt",
        "x/tmp2.rkt",
        "x/y/deep.rkt",
        "x/z",
    ]
    # `walked` answers for one path what the walk does, for either policy.
    every = {p for p in ws.rglob("*") if p.is_file()}
    for make in (compile_omit_rules, raco_test_omit_rules):
        walk = set(walk_files(ws, lambda n: True, rules=make()))
        assert {p for p in every if walked(ws, p, make())} == walk
    assert (ws / "doc/d.rkt") in walk and (ws / "x/.d.rkt") not in walk

"""The distro-build site-configuration language as data.

A site configuration (``#lang distro-build/config``) is one expression built
from ``machine``, ``sequential`` and ``parallel``, each taking keyword options;
options given to a group are inherited by the machines inside it.  The
keywords, their value shapes and defaults are summarized here from the
distro-build documentation (racket/distro-build, distro-build.scrbl), in our
own words.  ``top`` keywords belong on the outermost configuration only.
"""

from __future__ import annotations

from dataclasses import dataclass

LANG = "distro-build/config"
FORMS = ("machine", "sequential", "parallel")

# Value shapes: shape -> (how it reads in hover, completion snippet).
SHAPES: dict[str, tuple[str, str]] = {
    "string*": ("string without spaces", '"${1}"'),
    "string": ("string", '"${1}"'),
    "string*-or-false": ("string without spaces, or #f", '"${1}"'),
    "string-or-false": ("string, or #f", '"${1}"'),
    "path-string": ("path string", '"${1}"'),
    "path-string-or-false": ("path string, or #f", '"${1}"'),
    "path-string-or-symbol": ("path string, or a symbol (Docker only)", '"${1}"'),
    "string-or-symbol-or-false": ("absolute path string, a symbol (Docker only), or #f", '"${1}"'),
    "string-or-procedure": ("string, or a procedure from a configuration hash to a string", "$1"),
    "positive-integer": ("positive exact integer", "${1:1}"),
    "integer": ("exact integer", "${1}"),
    "real": ("real number", "${1:1}"),
    "nonnegative-real": ("non-negative real number", "${1:0}"),
    "number-or-false": ("number, or #f", "${1:#f}"),
    "boolean": ("boolean", "${1|#t,#f|}"),
    "symbol": ("symbol", "'${1}"),
    "symbol-or-false": ("symbol, or #f", "'${1}"),
    "list-string*": ("list of strings without spaces", '\'("${1}")'),
    "list-string": ("list of strings", '\'("${1}")'),
    "list": ("list", "'(${1})"),
    "list-or-false": ("list, or #f", "${1:#f}"),
    "env": ("list of (list NAME VALUE) string pairs", '\'(("${1:NAME}" "${2:value}"))'),
    "hash": ("hash table", "(hash ${1})"),
    "hash-or-false": ("hash table, or #f", "${1:#f}"),
    "hash-or-list": ("hash table or list of hash tables (from `spliceable`)", "(spliceable ${1})"),
    "procedure": ("procedure of one argument", "(lambda (config) ${1})"),
    "any": ("value", "$1"),
}


@dataclass(frozen=True)
class Keyword:
    name: str  # without the #:
    shape: str  # a key of SHAPES
    default: str
    doc: str
    top: bool = False  # only on the outermost configuration
    choices: tuple[str, ...] = ()  # a closed set of values, as written


PLATFORMS = ("unix", "macosx", "windows", "windows/bash", "windows/cmd")
VARIANTS = ("cs", "bc", "3m", "cgc")


def _k(name: str, shape: str, default: str, doc: str, choices: tuple[str, ...] = ()) -> Keyword:
    return Keyword(name, shape, default, doc, choices=choices)


_MACHINE = [
    _k(
        "host",
        "string*",
        '"localhost"',
        "Machine to build on; with `#:docker` it names the container.",
    ),
    _k(
        "name",
        "string",
        "the `#:host` value",
        "Description of the installer, also the base of its log file name.",
    ),
    _k("port", "positive-integer", "22", "SSH port of the client."),
    _k("user", "string*-or-false", "#f (the current user)", "SSH user on the client."),
    _k(
        "dir",
        "path-string-or-symbol",
        '"build/plt" (the current directory in local mode)',
        "Build directory on the client; a symbol (Docker only) builds a Racket that later "
        "configurations reuse through the same `#:racket` symbol instead of an installer.",
    ),
    _k(
        "env",
        "env",
        "'()",
        "Environment variables set for every command on a Unix or Mac OS client.",
    ),
    _k(
        "server",
        "string*",
        'the SERVER makefile variable ("localhost")',
        "Address under which the client reaches the server (not used by Docker clients).",
    ),
    _k(
        "repo",
        "string",
        "the server's `.git` over HTTP",
        "Git repository the client clones Racket from.",
    ),
    _k(
        "pkgs", "list-string*", "the PKGS makefile variable", "Packages to put in the distribution."
    ),
    _k(
        "test-args",
        "list-string",
        "'()",
        "Arguments for `raco test` after the installer is made; no tests when empty.",
    ),
    _k(
        "test-pkgs",
        "list-string*",
        "'()",
        "Packages installed only for testing, after the installer is made.",
    ),
    _k(
        "dist-base-url",
        "string",
        "none",
        "URL of the download site; basis of the default `#:doc-search` and `#:dist-catalogs`. "
        "Should end in `/`, since the others are made relative to it.",
    ),
    _k(
        "doc-search",
        "string",
        "from `#:dist-base-url` or DOC_SEARCH",
        "Remote documentation-search URL configured in installers.",
    ),
    _k(
        "install-name",
        "string",
        '""',
        'Installation name for user-scope packages; "" means the version.',
    ),
    _k(
        "build-stamp",
        "string",
        "BUILD_STAMP, generated unless releasing",
        "Build stamp recorded in installers.",
    ),
    _k(
        "dist-name",
        "string",
        "the DIST_NAME makefile variable",
        "Human-readable distribution name.",
    ),
    _k("dist-base", "string*", "the DIST_BASE makefile variable", "Installer file name prefix."),
    _k(
        "dist-dir",
        "string*",
        "the DIST_DIR makefile variable",
        "Directory name the distribution installs into.",
    ),
    _k(
        "dist-suffix",
        "string*",
        "the DIST_SUFFIX makefile variable",
        "Installer name suffix, usually for an OS variant.",
    ),
    _k(
        "dist-vm-suffix",
        "string*",
        '""',
        "Installer name suffix for the Racket VM variant, after `#:dist-suffix`.",
    ),
    _k(
        "dist-aliases",
        "list",
        "'()",
        "Extra (base suffix vm-suffix) names linked to the installer on a download site.",
    ),
    _k(
        "dist-catalogs",
        "list-string",
        "from `#:dist-base-url`",
        'Initial package catalogs of installers; "" stands for the default ones.',
    ),
    _k(
        "pref-defaults",
        "list",
        "none",
        "Default preferences (symbol value) shipped in the distribution.",
    ),
    _k(
        "readme",
        "string-or-procedure",
        "`make-readme`",
        "README content of installers, or a procedure making it.",
    ),
    _k(
        "max-vm",
        "real",
        "1",
        "For VirtualBox clients: how many VMs may run at once, this one included.",
    ),
    _k("max-parallel", "real", "+inf.0", "How many clients may build at the same time."),
    _k(
        "vbox", "string", "none", "VirtualBox VM that the server starts and stops around the build."
    ),
    _k(
        "docker",
        "string",
        "none",
        "Docker image; a container named by `#:host` is created, started and stopped.",
    ),
    _k(
        "docker-platform",
        "string-or-false",
        "#f",
        "Docker platform to run the image for, when several exist.",
    ),
    _k(
        "platform",
        "symbol",
        "the server's `(system-type)`",
        "Operating system of the client (not the cross-compilation target).",
        choices=PLATFORMS,
    ),
    _k(
        "configure",
        "list-string",
        "'()",
        "Arguments for `configure` (`--enable-portable` is added unless disabled).",
    ),
    _k("cross-target", "string*-or-false", "#f", "Host triple to cross-compile for (`--host=`)."),
    _k(
        "cross-target-machine",
        "string*-or-false",
        "#f",
        'Chez Scheme machine type to cross-compile for (CS only), like "ta6nt".',
    ),
    _k(
        "racket",
        "string-or-symbol-or-false",
        "#f",
        "Native Racket used to build (mainly for cross builds); a symbol (Docker only) "
        "names one built by an earlier configuration's `#:dir` symbol.",
    ),
    _k("scheme", "string-or-false", "#f", "Obsolete: formerly the Chez Scheme source directory."),
    _k(
        "target-platform",
        "symbol-or-false",
        "#f (inferred)",
        "Operating system of the target when cross-compiling.",
        choices=("unix", "macosx", "windows"),
    ),
    _k(
        "variant",
        "symbol",
        "the variant of the running Racket",
        "Racket VM to build (`3m` means `bc`).",
        choices=VARIANTS,
    ),
    _k("compile-any?", "boolean", "#f", "Compile to machine-independent bytecode."),
    _k(
        "recompile-cache",
        "symbol-or-false",
        "#f",
        "Cache of compiled files shared by Docker clients naming the same symbol.",
    ),
    _k(
        "bits",
        "positive-integer",
        "64",
        "32 or 64; selects the Visual Studio mode.",
        choices=("32", "64"),
    ),
    _k("vc", "string*", '"x86" or "x86_amd64" by `#:bits`', "Argument for `vcvarsall.bat`."),
    _k("sign-identity", "string", '""', 'Mac OS `codesign` identity; "" disables signing.'),
    _k(
        "sign-cert-config",
        "hash-or-false",
        "#f",
        "Mac OS signing through `rcodesign` (p12 file and password file).",
    ),
    _k(
        "notarization-config",
        "hash-or-false",
        "#f",
        "Mac OS notarization settings for a signed `.dmg`.",
    ),
    _k(
        "osslsigncode-args",
        "list-string",
        "none",
        "Arguments for signing Windows executables with `osslsigncode`.",
    ),
    _k(
        "hardened-runtime?",
        "boolean",
        "#t when signing",
        "Sign with the hardened runtime on Mac OS.",
    ),
    _k(
        "client-installer-pre-process",
        "list-string",
        "'()",
        "Program and arguments run on the assembled directory before the installer is made.",
    ),
    _k(
        "client-installer-post-process",
        "list-string",
        "'()",
        "Program and arguments run on the installer before it is uploaded.",
    ),
    _k(
        "server-installer-post-process",
        "list-string",
        "'()",
        "Program and arguments run on the server for each installer of a download site.",
    ),
    _k("make", "string", '"make"', "`make` command prefix on Unix and Mac OS clients."),
    _k("j", "positive-integer", "1", "Parallel jobs for `make` and `raco setup`."),
    _k("timeout", "real", "1800 (30 minutes)", "Seconds to wait for a client before giving up."),
    _k("init", "string-or-false", "#f", "Command run on the client before anything else."),
    _k(
        "clean?",
        "boolean",
        "CLEAN_MODE (#f in local mode)",
        "Remove the client's `#:dir` before building.",
    ),
    _k("pull?", "boolean", "#t (#f in local mode)", "Start with a `git pull` in `#:dir`."),
    _k(
        "release?", "boolean", "the RELEASE_MODE makefile variable", "Make release-mode installers."
    ),
    _k("source?", "boolean", "#f", "Default for `#:source-runtime?` and `#:source-pkgs?`."),
    _k(
        "source-runtime?",
        "boolean",
        "the `#:source?` value",
        "Ship the runtime system as source instead of a platform installer.",
    ),
    _k("source-pkgs?", "boolean", "the `#:source?` value", "Ship packages in source form only."),
    _k(
        "all-platform-pkgs?",
        "boolean",
        "#f",
        "Install the platform-specific dependencies of every platform.",
    ),
    _k("static-libs?", "boolean", "#f", "Also ship static libraries for embedding Racket."),
    _k(
        "versionless?",
        "boolean",
        "the VERSIONLESS_MODE makefile variable",
        "Leave the version out of installer names and paths.",
    ),
    _k(
        "dist-base-version",
        "string*",
        "`(version)`",
        "Version written in installer names after the base name.",
    ),
    _k("mac-pkg?", "boolean", "#f", "Make a Mac OS `.pkg` instead of a `.dmg`."),
    _k("tgz?", "boolean", "#f", "Make a `.tgz` archive instead of an installer."),
    _k("pause-before", "nonnegative-real", "0", "Seconds to wait before starting the machine."),
    _k("pause-after", "nonnegative-real", "0", "Seconds to wait after stopping the machine."),
    _k(
        "log-file",
        "string",
        "`#:name`, cleaned up",
        "Log file name of the machine (under build/log).",
    ),
    _k("stream-log?", "boolean", "#f", "Copy the log to the server's output too."),
    _k(
        "custom",
        "hash",
        "none",
        "Extra entries of your own (merged when nested), e.g. for a `#:readme` procedure.",
    ),
]

_TOP = [
    _k(
        "server-port",
        "positive-integer",
        "SERVER_PORT (9440)",
        "Port of the server, also tunnelled back from clients.",
    ),
    _k(
        "server-hosts",
        "list-string*",
        'SERVER_HOSTS ("localhost")',
        "Interfaces the server listens on; '() means all.",
    ),
    _k(
        "extra-repo-dir",
        "path-string-or-false",
        "#f",
        "Server directory of further Git repositories served to clients.",
    ),
    _k(
        "site-dest",
        "path-string",
        '"build/site"',
        "Where the `site` and `snapshot-site` targets put the result.",
    ),
    _k(
        "current-link-version",
        "string",
        "`#:dist-base-version`",
        'Part of installer names replaced by "current" on a snapshot page.',
    ),
    _k("pdf-doc?", "boolean", "#f", "Also build PDF documentation for the site."),
    _k(
        "doc-vm",
        "hash-or-false",
        "#f (the server)",
        "Docker container settings for building the site's documentation.",
    ),
    _k(
        "fake-installers?",
        "boolean",
        "#f",
        "Skip the clients: installers are stand-in files (names guessed from `#:name`).",
    ),
    _k("email-to", "list-string", "none", "Addresses that get the build report by e-mail."),
    _k("email-from", "string", "the first `#:email-to`", "Sender of the report."),
    _k("smtp-server", "string*", "none (sendmail is used)", "SMTP server for the report."),
    _k("smtp-port", "any", "25, 465 or 587 by `#:smtp-connect`", "SMTP port."),
    _k(
        "smtp-connect", "symbol", "'plain", "SMTP connection kind.", choices=("plain", "ssl", "tls")
    ),
    _k("smtp-user", "string-or-false", "#f", "SMTP user."),
    _k("smtp-password", "string-or-false", "#f", "SMTP password."),
    _k(
        "smtp-user+password-file",
        "path-string-or-false",
        "#f",
        "File holding the SMTP user and password.",
    ),
    _k("smtp-sending-server", "string*", '"localhost"', "Name the SMTP sender presents."),
    _k("site-help", "hash", "none", "Help X-expressions for rows of the download table, by label."),
    _k(
        "site-help-fallbacks",
        "list",
        "none",
        "(regexp X-expression) help entries tried after `#:site-help`.",
    ),
    _k("site-title", "string", '"Racket Downloads"', "Title of the generated download page."),
    _k(
        "site-window-title",
        "string",
        "`#:site-title`",
        "Window title of the generated download page.",
    ),
    _k("site-logo", "hash-or-false", "#f (Racket logo)", "Logo of the generated download page."),
    _k(
        "site-icon-headers", "list-or-false", "#f", "HTML head elements replacing the default icon."
    ),
    _k("site-doc-url", "string", '"index.html"', "Documentation link on the download page."),
    _k("max-snapshots", "positive-integer", "5", "Snapshots kept by `snapshot-site`."),
    _k(
        "week-count",
        "number-or-false",
        "#f",
        "Keep a week of daily and this many weekly snapshots (replaces `#:max-snapshots`).",
    ),
    _k("plt-web-style?", "boolean", "#t", "Generate pages with plt-web."),
    _k(
        "repackage-versions",
        "list",
        "'()",
        "More Racket versions for a catalog made by `build-catalog`.",
    ),
    _k("fail-on-client-failures", "boolean", "#f", "Exit with failure when any client fails."),
    _k(
        "start-hook",
        "procedure",
        "`void`",
        "Called on the server with the whole configuration before packages are gathered.",
    ),
]

KEYWORDS: dict[str, Keyword] = {k.name: k for k in _MACHINE}
KEYWORDS.update({k.name: Keyword(k.name, k.shape, k.default, k.doc, True, k.choices) for k in _TOP})
KEYWORDS["splice"] = Keyword(
    "splice",
    "hash-or-list",
    "none",
    "Splices options from a hash table (see `spliceable`) or a list of them into this form; "
    "each keyword may still be given only once.",
)

# Other names the language provides, for completion and hover.
NAMES: dict[str, tuple[str, str]] = {
    "machine": (
        "(machine #:keyword value ...)",
        "One client build: an installer for one platform.",
    ),
    "sequential": (
        "(sequential #:keyword value ... config ...)",
        "Runs the nested configurations one after another; its options are inherited by them.",
    ),
    "parallel": (
        "(parallel #:keyword value ... config ...)",
        "Runs the nested configurations at the same time; its options are inherited by them.",
    ),
    "current-mode": (
        "(current-mode) -> string",
        'Parameter holding the requested mode (CONFIG_MODE of the makefile), "default" unless set.',
    ),
    "current-stamp": (
        "(current-stamp) -> string",
        "A string naming the current build (date and commit).",
    ),
    "spliceable": (
        "(spliceable #:keyword value ...) -> hash",
        "Keyword options as a hash table for `#:splice`.",
    ),
}


def keyword_markdown(k: Keyword) -> str:
    """Hover text for a keyword."""
    lines = [f"**#:{k.name}** — {SHAPES[k.shape][0]}", "", k.doc, "", f"Default: {k.default}"]
    if k.choices:
        lines.append("Values: " + ", ".join(f"`{c}`" for c in k.choices))
    if k.top:
        lines.append("Only at the top level of the configuration.")
    return "\n".join(lines)


def name_markdown(name: str) -> str:
    sig, doc = NAMES[name]
    return f"```racket\n{sig}\n```\n{doc}"

"""Executables, distributions and archives; callers import the module they need.

- ``common`` — ``StepResult`` (what every step returns), the packaging
  environment, ``run_step`` (one ``raco``/``tar`` run through
  ``process.run_process``), ``read_info`` (info.rkt via ``data/packaging.rkt``).
- ``exe`` — ``raco exe`` (``ExeOptions``) and launchers.
- ``distribute`` — ``raco distribute``, bundling into ``NAME.tgz``, the smoke run.
- ``pack`` — ``raco pack``, ``raco pkg create`` and the staging of a
  directory without its outputs.
- ``pipeline`` — ``build_distribution``: executables -> distribution ->
  archive -> smoke run.
"""

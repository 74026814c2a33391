from raco_lsp.cli import main

raise SystemExit(main())

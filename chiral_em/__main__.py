# Hand-written: `python -m chiral_em ...` is `chiral-em ...` (see nbs/00d_cli.ipynb).
from chiral_em.cli import main

raise SystemExit(main())

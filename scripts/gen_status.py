"""Rewrite the generated status blocks of README.md and docs/ARCHITECTURE.md from the phase table.

    uv run python scripts/gen_status.py           # rewrite the blocks that are stale
    uv run python scripts/gen_status.py --check   # exit 1 and name them instead (what CI would do)

The rules deciding "built" vs "planned" live in `lynx_cortex.status`.
"""

from __future__ import annotations

import argparse
import sys

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.paths import project_root
from lynx_cortex.status import stale_blocks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    args = parser.parse_args(argv)
    root = project_root()
    stale = stale_blocks(root)
    for path, text in stale.items():
        rel = path.relative_to(root)
        if args.check:
            print(f"stale status block: {rel}", file=sys.stderr)
        else:
            write_text_atomic(path, text)
            print(f"rewrote {rel}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

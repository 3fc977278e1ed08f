"""``habmodel cache``: where the compiled kernels are, what they are, and clearing them."""

from __future__ import annotations

import sys

__all__ = ["add_cache"]


def add_cache(sub) -> None:
    p = sub.add_parser(
        "cache", help="show (--info) or delete (--clear) the compiled kernels of the fast engine",
        description="The fast engine keeps one compiled kernel per model structure and CPU "
        "in a cache folder (HABMODEL_CACHE_DIR, or the user cache). --info lists its entries "
        "with their sizes and what built them; --clear deletes them (they are rebuilt when "
        "next needed, a few seconds each).")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--info", action="store_true", help="list the entries (the default)")
    what.add_argument("--clear", action="store_true", help="delete every entry")
    p.set_defaults(handler=_cache)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MiB"  # pragma: no cover


def _cache(args, argv) -> int:
    from ..engines.fast import cache_dir, cache_entries, clear_cache
    from .common import PROG, fail

    root = cache_dir()
    if args.clear:
        try:
            removed = clear_cache()
        except OSError as err:
            return fail(f"cache: cannot clear {root}: {err.strerror or err}", 2)
        print(f"{PROG} cache: removed {removed} entr{'y' if removed == 1 else 'ies'} from {root}")
        return 0
    entries = cache_entries()
    total = sum(e["bytes"] for e in entries)
    where = "" if root.is_dir() else " (does not exist yet)"
    print(f"cache      {root}{where}\nentries    {len(entries)}, {_size(total)}")
    for e in entries:
        state = "ok" if e["ok"] else f"not usable: {e['problem']}"
        print(f"- {e['name']}  {_size(e['bytes'])}  built {e['built']}  {e['method']}  "
              f"{e['flags']}  [{e['compiler']}]  {state}")
    sys.stdout.flush()
    return 0

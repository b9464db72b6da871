"""Where an API submission's time goes: ``grants serve`` under cProfile while investors submit.

    python -m bench.profile_submit [--clients 16] [--ops 400] [--top 30] [--sort tottime]

The server runs in its own process under ``cProfile`` (written when it stops), the load comes
from ``bench.http``'s clients; prints the functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import pstats
import shutil
import tempfile
from pathlib import Path

from bench import http
from service.embedded import start_embedded
from service.testing import with_database


async def load(base: str, admin: str, clients: int, ops: int) -> float:
    envelope_id = await http.seed(with_database(admin, "grants"), clients, 10)
    signed_in = [await http.sign_in(base, f"investor{i}@bench.ma") for i in range(clients)]
    try:
        await http.api_submits(signed_in, envelope_id, clients * 2)  # warm up
        return await http.api_submits(signed_in, envelope_id, ops)
    finally:
        for client, _ in signed_in:
            await client.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats key, e.g. tottime")
    parser.add_argument("--save", type=Path, help="keep the profile (for pstats callers)")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="grants-profile-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    admin = start_embedded(data_dir, "postgres")
    out = data_dir / "serve.prof"
    profiled = ("-m", "cProfile", "-o", str(out))
    with http.server(data_dir, http.free_port(), 32, python_args=profiled) as base:
        rate = asyncio.run(load(base, admin, args.clients, args.ops))
    print(f"{args.ops} submissions, {args.clients} clients: {rate:,.0f}/s under the profiler")
    if args.save is not None:
        shutil.copy(out, args.save)
    pstats.Stats(str(out)).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()

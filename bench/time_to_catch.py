#!/usr/bin/env python3
"""Time for each driver to catch each mutant: libFuzzer (the differential target, from an
empty corpus with the trace dictionary) and `gcfuzz run` (RapidCheck), the median over
several seeds, with the minimized trace size. Prints a Markdown table.

Usage: bench/time_to_catch.py [--seeds 5] [--limit 60] [--jobs 2] [--drivers libfuzzer,run]
                              [--seeded] [MUTANT_GLOB...]

--seeded starts libFuzzer from corpus/ (as `make fuzz` does) instead of an empty corpus.

Needs build/gcfuzz (make build) and build/fuzz/gcfuzz_trace_fuzzer (the fuzz preset, which
`make fuzz` builds). Both are AddressSanitizer builds, so the two drivers pay the same
instrumentation. A run that does not catch the mutant within --limit seconds counts as
not caught (shown as `>LIMIT`); the median is then taken over the caught runs only if
most runs caught it.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GCFUZZ = ROOT / "build" / "gcfuzz"
FUZZER = ROOT / "build" / "fuzz" / "gcfuzz_trace_fuzzer"
DICT = ROOT / "harness" / "fuzz" / "gct.dict"


def mutants():
    out = subprocess.run([GCFUZZ, "list", "--mutants", "--json"], check=True,
                         capture_output=True, text=True).stdout
    return [c["name"] for c in map(json.loads, out.splitlines()) if "mutant_of" in c]


def minimized_ops(mutant, trace_path):
    out = subprocess.run([GCFUZZ, "minimize", "-c", mutant, trace_path],
                         capture_output=True, text=True)
    return sum(1 for line in out.stdout.splitlines() if line and not line.startswith("#"))


def libfuzzer_once(mutant, seed, limit, seeded):
    with tempfile.TemporaryDirectory(prefix="gcfuzz-ttc-") as work:
        corpus = Path(work) / "corpus"
        corpus.mkdir()
        env = dict(os.environ, GCFUZZ_COLLECTORS=mutant)
        start = time.monotonic()
        proc = subprocess.run(
            [FUZZER, f"-seed={seed}", f"-max_total_time={limit}", f"-dict={DICT}",
             "-max_len=8192", "-entropic_number_of_rarest_features=16",  # as make fuzz runs it
             f"-artifact_prefix={work}/", "-print_final_stats=0", str(corpus)]
            + ([str(ROOT / "corpus")] if seeded else []),
            env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - start
        if proc.returncode == 2 and "gcfuzz_trace_fuzzer: GCFUZZ_COLLECTORS=" in proc.stderr:
            return NOT_IN_PROCESS, None  # a collector of another process (python:...)
        crashes = sorted(Path(work).glob("crash-*"))
        if not crashes:
            return None, None
        return elapsed, minimized_ops(mutant, str(crashes[0]))


RUN_FOUND = re.compile(r"after ([0-9.]+) s; shrunk from \d+ to (\d+) ops")


def gcfuzz_run_once(mutant, seed, limit):
    proc = subprocess.run(
        [GCFUZZ, "run", "-c", mutant, "--seed", str(seed), "--time", str(limit),
         "--traces", "100000000", "--quiet"], capture_output=True, text=True)
    m = RUN_FOUND.search(proc.stdout + proc.stderr)
    if not m:
        return None, None
    return float(m.group(1)), int(m.group(2))


NOT_IN_PROCESS = "not in process"


def summarize(results, limit):
    if any(t == NOT_IN_PROCESS for t, _ in results):
        return "- (not in process)", "-"
    times = [t for t, _ in results if t is not None]
    sizes = [s for _, s in results if s is not None]
    if len(times) * 2 <= len(results):
        return f">{limit}s ({len(times)}/{len(results)})", "-"
    caught = f"{statistics.median(times):.2f}s"
    if len(times) < len(results):
        caught += f" ({len(times)}/{len(results)})"
    return caught, f"{statistics.median(sizes):g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--drivers", default="libfuzzer,run",
                        help="comma-separated: libfuzzer, run")
    parser.add_argument("--seeded", action="store_true",
                        help="libFuzzer starts from corpus/, as make fuzz runs it")
    parser.add_argument("patterns", nargs="*", default=["*"])
    args = parser.parse_args()
    drivers = [d for d in args.drivers.split(",") if d]
    if not drivers or any(d not in ("libfuzzer", "run") for d in drivers):
        sys.exit(f"time_to_catch: --drivers {args.drivers}: expected libfuzzer, run or both")
    for binary in (GCFUZZ, FUZZER):
        if not binary.exists():
            sys.exit(f"time_to_catch: {binary} not built (make build; make fuzz FUZZ_TIME=1)")
    chosen = [m for m in mutants() if any(fnmatch.fnmatch(m, p) for p in args.patterns)]
    seeds = range(1, args.seeds + 1)
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for m in chosen:
            for s in seeds:
                if "libfuzzer" in drivers:
                    jobs[(m, "libfuzzer", s)] = pool.submit(libfuzzer_once, m, s, args.limit,
                                                            args.seeded)
                if "run" in drivers:
                    jobs[(m, "run", s)] = pool.submit(gcfuzz_run_once, m, s, args.limit)
    command = " ".join(["bench/time_to_catch.py", "--seeds", str(args.seeds), "--limit",
                        str(args.limit), "--jobs", str(args.jobs), "--drivers", ",".join(drivers)]
                       + (["--seeded"] if args.seeded else []))
    print(f"Median over seeds 1-{args.seeds}, limit {args.limit} s a run (`{command}`):\n")
    titles = {"libfuzzer": "libFuzzer" + (" (seeded)" if args.seeded else ""),
              "run": "gcfuzz run"}
    print("| mutant | " + " | ".join(f"{titles[d]} | shrunk ops" for d in drivers) + " |")
    print("| --- |" + " --- | --- |" * len(drivers))
    for m in chosen:
        cells = []
        for d in drivers:
            cells += summarize([jobs[(m, d, s)].result() for s in seeds], args.limit)
        print(f"| {m} | " + " | ".join(cells) + " |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

#!/bin/sh
# Runs every probe under incremental and generational mode, with one and with two
# collectgarbage("collect") calls per `collect` op; writes results/NN_name.MODE.N.txt.
set -eu
cd "$(dirname "$0")"
mkdir -p results
lua5.4 -v > results/VERSION.txt 2>&1
for p in [0-9][0-9]_*.lua; do
  for mode in incremental generational; do
    for n in 1 2; do
      lua5.4 "$p" "$mode" "$n" > "results/${p%.lua}.$mode.$n.txt" 2>&1
    done
  done
done
ls results | wc -l

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one libFuzzer target for a bounded time:
#   run-fuzz.sh TARGET SEED_CORPUS SECONDS
# New inputs go to a temporary corpus (the seeds in the source tree are only
# read); a crash leaves its input in the build directory and fails the test.
set -eu
target=$1
seeds=$2
seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$(dirname "$target")/" "$work" "$seeds"

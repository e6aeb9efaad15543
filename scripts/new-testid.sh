#!/usr/bin/env bash
# Prints a fresh k6 testid: UTC time first so ids sort by start time, then 4 random hex digits so two runs
# started in the same second differ. Example: 20260927-140312-a3f9
set -euo pipefail
suffix=$(od -An -tx1 -N2 /dev/urandom | tr -d ' \n')
printf '%s-%s\n' "$(date -u +%Y%m%d-%H%M%S)" "$suffix"

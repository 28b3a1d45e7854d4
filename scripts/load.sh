#!/usr/bin/env bash
# load.sh — load figures for `drydock serve`: analyses per minute (PostgreSQL with 1 and 4
# workers, SQLite with 1) and concurrent list/get requests against a server holding
# LOAD_IMAGES analysed images (default 1000). Needs docker-registry and PostgreSQL on
# 127.0.0.1:5432 (trust auth), like the tests. Prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD_IMAGES=${LOAD_IMAGES:-1000} LOAD_CLIENTS=${LOAD_CLIENTS:-16} \
  cargo bench -p drydock --bench load -- analyses

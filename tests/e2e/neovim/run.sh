#!/usr/bin/env bash
# Runs each tests/e2e/neovim/test_*.lua in headless Neovim against the real
# cadre binary, each with a fresh HOME and XDG directories and a deadline,
# and prints "N passed, M failed". Usage:
#
#   tests/e2e/neovim/run.sh [--cadre build/cadre] [-v] [test_name ...]
#
# Exit code: 0 all passed, 1 a test failed, 77 (skip) when nvim is missing.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cadre="$repo/build/cadre"
verbose=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cadre) cadre="$2"; shift 2 ;;
    -v) verbose=1; shift ;;
    *) only+=("$1"); shift ;;
  esac
done

if ! command -v nvim >/dev/null 2>&1; then
  echo "SKIP: nvim is not installed"
  exit 77
fi
if [ ! -x "$cadre" ]; then
  echo "cadre binary not found: $cadre" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cadre-e2e-nvim.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# A private copy: a rebuild of build/cadre during the run can't pull the
# binary out from under a test.
cp "$cadre" "$work/cadre"
cadre="$work/cadre"

passed=0
failed=0
failed_names=()
start=$(date +%s)
for test in "$here"/test_*.lua; do
  name="$(basename "$test" .lua)"
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  home="$work/$name"
  mkdir -p "$home"/{config,state,data,cache,tmp}
  log="$work/$name.log"
  t0=$(date +%s%N)
  (
    cd "$repo" &&
      env HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_STATE_HOME="$home/state" \
        XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" TMPDIR="$home/tmp" \
        CADRE_BIN="$cadre" \
        timeout -k 5 60 nvim --headless -u NONE -i NONE -n \
        -c 'set rtp+=clients/neovim' -c "luafile $test" </dev/null
  ) >"$log" 2>&1
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  secs="$((ms / 1000)).$(((ms % 1000) / 100))"
  checks="$(grep -E '^[0-9]+ checks passed, [0-9]+ failed$' "$log" | tail -1)"
  if [ $rc -eq 0 ] && [ -n "$checks" ]; then
    passed=$((passed + 1))
    echo "PASS $name ($checks, ${secs}s)"
    [ $verbose -eq 1 ] && sed 's/^/    /' "$log"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    [ $rc -eq 124 ] && echo "FAIL $name (timed out after 60 s)" || echo "FAIL $name (exit $rc${checks:+, $checks}, ${secs}s)"
    sed 's/^/    /' "$log"
  fi
done

echo "neovim e2e: $(($(date +%s) - start)) s with $(nvim --version | head -1)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

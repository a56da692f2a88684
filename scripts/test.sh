#!/usr/bin/env bash
# Runs every test, installing what the tests need first: Azurite from the repository's npm
# dependency, Prometheus, Alertmanager and PostgreSQL from Debian packages (as root; otherwise it
# says what to install).
# With CI=true a missing real part fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is required ($2)" >&2; exit 1; }; }
need dotnet "the .NET 10 SDK"
need node "Node.js runs Azurite"
need npm "npm installs Azurite"

# The installs below mostly download, so they run while the build compiles; each one's output is
# kept and shown only when it fails.
installs=()
install_in_background() { # name, command...
  local name=$1; shift
  echo "== installing $name"
  local log="$logs/${#installs[@]}.log"
  (SECONDS=0; "$@" > "$log" 2>&1 || { echo "error: installing $name failed:" >&2; cat "$log" >&2; exit 1; }
   echo "== installed $name in ${SECONDS} s") &
  installs+=($!)
}
logs=$(mktemp -d)
# An install still running when the script ends (the build failed) is waited for, not left holding
# the dpkg lock or writing node_modules under the next run; killing apt-get halfway would leave
# dpkg to repair by hand.
finish_installs() {
  for install in "${installs[@]}"; do wait "$install" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap finish_installs EXIT

# package.json's devDependencies: Azurite, and Redocly CLI that lints docs/openapi.json; installed
# again when package-lock.json changed since (npm records what it installed in node_modules).
# Every tarball address in the lockfile must be the public registry's, which npm swaps for the
# registry you configure: a mirror's address written in by an `npm install` against it would be
# fetched as written on every other machine (and name an internal host). See .npmrc.
if grep '"resolved":' package-lock.json | grep -qv '"resolved": "https://registry.npmjs.org/'; then
  echo "error: package-lock.json has tarball addresses outside https://registry.npmjs.org/:" >&2
  grep '"resolved":' package-lock.json | grep -v '"resolved": "https://registry.npmjs.org/' | head -5 >&2
  exit 1
fi
if [ ! -f node_modules/azurite/dist/src/azurite.js ] || [ ! -x node_modules/.bin/redocly ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  install_in_background "Azurite and Redocly CLI (npm ci)" npm ci --no-audit --no-fund --loglevel=error
fi

# Debian's packages: the binaries are prometheus and prometheus-alertmanager (chromium runs the ops
# page tests headless); PostgreSQL's initdb
# and pg_ctl live in /usr/lib/postgresql/<version>/bin. Installing does not start them; tests start
# their own on free loopback ports (PostgreSQL as the postgres user when run as root).
missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    install_in_background "${missing[*]} (apt-get)" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"' apt "${missing[@]}"
  else
    echo "warning: ${missing[*]} not installed (sudo apt-get install ${missing[*]}); tests that need them skip, or fail with CI=true" >&2
  fi
fi

# Every .NET process of the run (the build's compiler server and MSBuild nodes, the test hosts, and
# the local runtimes the tests start as processes of their own) lives seconds to minutes.
# Profile-guided tiering's instrumented code and its recompiles, and W^X double-mapping of every
# page the JIT writes, cost such processes more than they save: clean builds without the compiler
# server took 94, 80 and 100 CPU-s with both off against 120 and 98 with them on (2 cores; runs
# here vary by a fifth), and the integration tests' CPU fell by a sixth without profile-guided
# tiering. Both change how fast code is compiled, not what it does. W^X guards JIT-written code
# against exploits in long-lived services: production keeps it, and no process of this run outlives
# it (MSBuild nodes are not kept for reuse; the compiler server is stopped after the build).
export DOTNET_TieredPGO=0 DOTNET_EnableWriteXorExecute=0 MSBUILDDISABLENODEREUSE=1

echo "== building"
SECONDS=0
# The ten projects compile in one warm compiler server rather than ten csc processes, each JITting
# the compiler and its analyzers again: some machines (containers, CI images) set
# UseSharedCompilation=false in the environment, which turns the server off. Clean builds here:
# 36-42 s and 65-74 CPU-s with the server, 65 s and 103 CPU-s without. The server is stopped once
# the build is done (or failed), so none is left idling after the run; that stops this user's
# server, which a concurrent build would simply start again.
stop_compiler_server() { dotnet build-server shutdown --vbcscompiler >/dev/null 2>&1 || echo "warning: the compiler server did not stop" >&2; }
trap 'stop_compiler_server; finish_installs' EXIT
dotnet build RollbackFunctions.sln --nologo -v quiet -clp:ErrorsOnly -p:UseSharedCompilation=true
stop_compiler_server
trap finish_installs EXIT
echo "== built in ${SECONDS} s"
for install in "${installs[@]}"; do wait "$install"; done

echo "== testing"
# The test processes (the test hosts, and the runtimes and drills they start) live seconds to two
# minutes and spend most of it starting things. Without call counting, a method keeps its first,
# quick compilation (or the framework's precompiled code) and is never compiled again optimised
# because it was called 30 times. Alternating runs of each project's tests here (2 cores, CPU-s):
# integration 149, 161, 163 against 169, 172, 173; core 12-13 against 16-17; infrastructure 25 and
# 30 against 29 and 31. Only for the tests: the build's compiler server runs long enough to need the
# optimised code, and the benchmark program, which measures speed, does not run under this script.
export DOTNET_TC_CallCounting=0
log=$(mktemp)
# Each test project starts one Azurite (and PostgreSQL, Chromium where it needs them) and stops it
# on exit; a test host that is killed instead cannot, so the run is named and whatever it left
# (processes and folders named rollback-<part>-<run>-…) is stopped and removed afterwards, also
# when the run is interrupted.
export ROLLBACK_TEST_RUN="run$$"
clean_up_run() {
  pkill -9 -f "rollback-[a-z]+-$ROLLBACK_TEST_RUN-" 2>/dev/null || true
  rm -rf "${TMPDIR:-/tmp}"/rollback-*-"$ROLLBACK_TEST_RUN"-*
}
trap 'clean_up_run; finish_installs' EXIT
set +e
dotnet test RollbackFunctions.sln --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
clean_up_run

# One plain closing line for the whole run, summed over the test projects.
awk '/^(Passed|Failed)! +- Failed: /{gsub(",",""); failed+=$4; passed+=$6; skipped+=$8}
     END {printf "Tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped}' "$log"
rm -f "$log"
exit "$status"

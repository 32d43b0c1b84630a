#!/usr/bin/env bash
# npm run test:sanitize: the test suite on sanitizer builds of the runtime, its
# test module and json_test: AddressSanitizer in build-asan/, then
# UndefinedBehaviorSanitizer in build-ubsan/ (CMake's WA_SANITIZE, see the
# sanitizer block of CMakeLists.txt). WASYNCIO_SANITIZERS="address" (or
# "undefined") runs one of them only.
#
# A finding fails the run, twice over:
# - the builds stop at the first report: ASan halts on error by default, and
#   UBSan is built with -fno-sanitize-recover=all; the module aborts, so the
#   test that hit it fails;
# - and this script fails when a report shows anywhere in the output, even
#   if no test failed (a child process whose stderr a test did not check, an
#   abort a test caught).
#
# Left out, and why:
# - tests/web/web.test.mjs (both builds): it drives the page in Chromium, and the
#   page loads build/, the product build, never WASYNCIO_BUILD; npm test runs it.
# - tests/reliability/memory.test.mjs under ASan: it fills a 64 MiB wasm memory and
#   checks how much fits (at least 1000 task stacks) and that freed memory
#   comes back at once. ASan's shadow and allocator regions take most of
#   those 64 MiB before the first task (256 tasks fit), and its quarantine
#   holds freed memory back, so its premises cannot hold. UBSan runs it.
#   The same for tests/sync/memory.test.mjs, which gives memory back block by
#   block until a primitive's call works: under ASan the quarantine keeps
#   what was given back, and no call ever works.
# - tests/reliability/soak.test.mjs under ASan: a benchmark-like run (20,000 tasks of
#   each kind, minutes under ASan) whose bound on memory growth ASan's
#   quarantine breaks too. UBSan runs it, at the full count.
# - tests/package/ and tests/readme.test.mjs (both builds): they pack,
#   install and bundle the product module from build/; nothing in them runs
#   sanitized C.
# And under ASan the differential test runs SCENARIO_COUNT=100 scenarios
# (the first 100 of the 500 the other runs check): each needs a fresh
# runtime, and an ASan runtime takes about 0.4 s to start (its allocator
# zeroes its regions), so 500 would take over 4 minutes alone.
# Everything else runs under both, the real-clock tests included.
#
# Time on a 2-core machine, both builds from scratch: about 6 minutes (the
# two builds about 2.3 min, the ASan tests 3 min, the UBSan tests 40 s).
set -euo pipefail
shopt -s globstar
cd "$(dirname "$0")/.."

sanitizers=${WASYNCIO_SANITIZERS:-address undefined}
scenarios=${SCENARIO_COUNT-} # set: every run checks that many scenarios
# A sanitizer's own report, in the formats compiler-rt prints.
report='ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|: runtime error: '
failed=()

# A few tests load the product module from build/ on purpose (createRuntime's
# default); build it too (nothing to do when npm test just did).
bash scripts/build.sh

for san in $sanitizers; do
  case $san in
    address) dir=build-asan skip='tests/(web/web|reliability/memory|sync/memory|reliability/soak|package/[a-z]+|readme)\.test\.mjs'
      export SCENARIO_COUNT=${scenarios:-100} ;;
    undefined) dir=build-ubsan skip='tests/(web/web|package/[a-z]+|readme)\.test\.mjs'
      if [ -n "$scenarios" ]; then export SCENARIO_COUNT=$scenarios; else unset SCENARIO_COUNT; fi ;;
    *) echo "sanitize.sh: unknown sanitizer '$san' (address or undefined)" >&2; exit 2 ;;
  esac
  echo "== $san: building $dir/" >&2
  WASYNCIO_SANITIZE=$san WASYNCIO_BUILD=$dir bash scripts/build.sh
  files=()
  for f in tests/**/*.test.mjs; do
    [[ $f =~ ^$skip$ ]] || files+=("$f")
  done
  echo "== $san: ${#files[@]} test files on $dir/ (left out: $skip)" >&2
  log=$dir/test.log
  status=0
  # Two test files at a time: the machines have 2 cores, and an ASan
  # runtime's start is CPU-bound.
  WASYNCIO_BUILD=$dir node --test --test-concurrency=2 --test-reporter=spec "${files[@]}" 2>&1 |
    tee "$log" || status=$?
  if [ "$status" != 0 ]; then
    failed+=("$san: tests failed (exit $status; $log)")
  fi
  if grep -Eq "$report" "$log"; then
    failed+=("$san: sanitizer report in the output ($log):")
    while IFS= read -r line; do failed+=("    $line"); done < <(grep -E "$report" "$log" | sort | uniq -c | head -20)
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  printf 'sanitize.sh: FAILED\n' >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "sanitize.sh: no sanitizer findings ($sanitizers)" >&2

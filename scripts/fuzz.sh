#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one at a time, each for FUZZTIME.
#
#   scripts/fuzz.sh                       # every fuzzer, 5 s each (CI)
#   FUZZTIME=10m scripts/fuzz.sh          # a longer session
#   scripts/fuzz.sh ./cyberflex/...       # only the fuzzers of these packages
#   FUZZ='Verify' scripts/fuzz.sh         # only fuzzers whose name matches this regexp
#
# Fuzzers are found with `go test -list '^Fuzz'`; `go test -fuzz` takes one target per package
# invocation, so each runs on its own. Every fuzzer runs even after one fails; the script then
# exits 1 and names the failures. A failing input is written by Go to
# <package>/testdata/fuzz/<Fuzzer>/<hash>: once the bug is fixed, commit that file (renamed to say
# what it is) as a regression seed.
#
# Environment: FUZZTIME (default 5s; a duration, or Nx for N executions), FUZZ (regexp on
# fuzzer names, default all), GO (default go), FUZZFLAGS (extra flags for go test, e.g.
# "-parallel 4" or "-race").
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
FUZZ=${FUZZ:-.}
read -r -a extra <<<"${FUZZFLAGS:-}"
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# go test -list prints the matching names of a package and then its "ok <import path>" line.
if ! listing=$("$GO" test -list '^Fuzz' "${pkgs[@]}" 2>&1); then
	printf '%s\n' "$listing" >&2
	echo "fuzz.sh: listing the fuzzers failed" >&2
	exit 1
fi
targets=()
names=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in ${names[@]+"${names[@]}"}; do
			if grep -Eq -- "$FUZZ" <<<"$n"; then
				targets+=("$pkg $n")
			fi
		done
		names=()
		;;
	esac
done <<<"$listing"

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzzer matches FUZZ=$FUZZ in ${pkgs[*]}" >&2
	exit 1
fi

echo "fuzz.sh: ${#targets[@]} fuzzers, $FUZZTIME each"
# fuzz_once runs one fuzzer, its output to the terminal and to $log.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz_once() {
	"$GO" test ${extra[@]+"${extra[@]}"} -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "$1" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

# deadline_flake says whether a failed run is Go's fuzz-coordinator race, not a finding: when a
# duration -fuzztime ends while a worker is mid-call, go1.26 and older report "context deadline
# exceeded" as a failure without any failing input (go.dev/issue/75804, fixed in Go 1.27). A real
# finding always says "Failing input written to". Such a run is repeated once; a second one fails.
deadline_flake() {
	grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "=== $name ($pkg)"
	if fuzz_once "$pkg" "$name"; then
		continue
	fi
	if deadline_flake; then
		echo "fuzz.sh: $name stopped on Go's fuzztime deadline race (go.dev/issue/75804), no failing input: running it once more"
		if fuzz_once "$pkg" "$name"; then
			continue
		fi
	fi
	failed+=("$name ($pkg)")
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} fuzzers failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: all ${#targets[@]} fuzzers passed"

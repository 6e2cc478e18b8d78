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
failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "=== $name ($pkg)"
	if ! "$GO" test ${extra[@]+"${extra[@]}"} -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"; then
		failed+=("$name ($pkg)")
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: ${#failed[@]} of ${#targets[@]} fuzzers failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: all ${#targets[@]} fuzzers passed"

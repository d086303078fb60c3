#!/usr/bin/env bash
# Builds the libFuzzer targets of the register database parsers (rnndb XML,
# CMSIS-SVD; tests/fuzz/fuzz_regdb.c) with clang + ASan/UBSan against
# Debian's libxml2, replays the corpora tests/fuzz/corpus-rnndb and
# corpus-svd (the test and shipped databases, and regressions), then fuzzes
# each for FUZZ_SECONDS (default 5). A crash leaves its input in
# $BUILD/fuzz/artifacts: add it to the corpus as a regression case.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
b=$top/${BUILD:-build}/fuzz
secs=${FUZZ_SECONDS:-5}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' >/tmp/mt_fz_probe.$$.c
if ! clang -fsanitize=fuzzer /tmp/mt_fz_probe.$$.c -o /tmp/mt_fz_probe.$$ 2>/dev/null; then
	rm -f /tmp/mt_fz_probe.$$*
	echo "SKIP: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"; exit 77
fi
rm -f /tmp/mt_fz_probe.$$*
pkg-config --exists libxml-2.0 || { echo "SKIP: libxml2-dev not installed"; exit 77; }
mkdir -p "$b/artifacts"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE
	-Iformat/include -Iregdb/include $(pkg-config --cflags libxml-2.0)"
srcs="regdb/src/model.c regdb/src/rnndb.c regdb/src/svd.c regdb/src/variant.c regdb/src/lookup.c regdb/src/format.c"
clang $flags -DFUZZ_RNNDB tests/fuzz/fuzz_regdb.c $srcs $(pkg-config --libs libxml-2.0) -o "$b/fuzz_rnndb" ||
	{ echo "FAIL: build fuzz_rnndb"; exit 1; }
clang $flags -DFUZZ_SVD tests/fuzz/fuzz_regdb.c $srcs $(pkg-config --libs libxml-2.0) -o "$b/fuzz_svd" ||
	{ echo "FAIL: build fuzz_svd"; exit 1; }
fail=0
for t in rnndb svd; do
	seed=tests/fuzz/corpus-$t
	work=$b/work-$t
	rm -rf "$work"; mkdir -p "$work"
	if ! "$b/fuzz_$t" -runs=0 "$seed" >"$b/replay-$t.log" 2>&1; then
		echo "FAIL: regression input in $seed crashes fuzz_$t"; tail -20 "$b/replay-$t.log"; fail=1; continue
	fi
	if ! nice "$b/fuzz_$t" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
		-dict=tests/fuzz/regdb.dict -artifact_prefix="$b/artifacts/$t-" "$work" "$seed" >"$b/fuzz-$t.log" 2>&1; then
		echo "FAIL: fuzz_$t found a crash (input in $b/artifacts)"; grep -m3 -E 'ERROR|SUMMARY|==' "$b/fuzz-$t.log"; fail=1; continue
	fi
	echo "fuzz_$t: $(grep -Eo 'Done [0-9]+ runs' "$b/fuzz-$t.log" | tail -1) in ${secs}s, clean"
done
exit $fail

#!/usr/bin/env bash
# libFuzzer on the exporters (tests/fuzz/fuzz_export.c): hostile traces
# (binary and text, the reader's corpora as seeds) exported in the three
# formats under ASan/UBSan, FUZZ_SECONDS (default 10). A crash leaves its
# input in $BUILD/fuzz/artifacts: add it to tests/fuzz/corpus-binary.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
b=$top/${BUILD:-build}/fuzz
secs=${FUZZ_SECONDS:-10}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' >/tmp/mt_fx_probe.$$.c
if ! clang -fsanitize=fuzzer /tmp/mt_fx_probe.$$.c -o /tmp/mt_fx_probe.$$ 2>/dev/null; then
	rm -f /tmp/mt_fx_probe.$$*
	echo "SKIP: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"; exit 77
fi
rm -f /tmp/mt_fx_probe.$$*
mkdir -p "$b/artifacts"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
	-Iformat/include -Iexport/include tests/fuzz/fuzz_export.c export/src/*.c \
	format/src/reader.c format/src/textparse.c format/src/text.c format/src/writer.c format/src/meta.c format/src/filerec.c \
	-o "$b/fuzz_export" || { echo "FAIL: build fuzz_export"; exit 1; }
work=$b/work-export
rm -rf "$work" && mkdir -p "$work"
for seed in tests/fuzz/corpus-binary tests/fuzz/corpus-text; do
	"$b/fuzz_export" -runs=0 "$seed" >"$b/replay-export.log" 2>&1 ||
		{ echo "FAIL: an input of $seed crashes fuzz_export"; tail -20 "$b/replay-export.log"; exit 1; }
done
nice "$b/fuzz_export" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix="$b/artifacts/export-" "$work" tests/fuzz/corpus-binary tests/fuzz/corpus-text \
	>"$b/fuzz-export.log" 2>&1 ||
	{ echo "FAIL: fuzz_export found a crash (input in $b/artifacts)"; grep -m3 -E 'ERROR|SUMMARY|==' "$b/fuzz-export.log"; exit 1; }
echo "PASS: fuzz_export: $(grep -Eo 'Done [0-9]+ runs' "$b/fuzz-export.log" | tail -1) in ${secs}s, clean"

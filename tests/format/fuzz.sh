#!/usr/bin/env bash
# Builds the libFuzzer targets (binary reader, text parser, rule parser, the
# user-space event ring's consumer and converter, the kernel records' converter) with
# clang + ASan/UBSan, replays the regression corpora in tests/fuzz/corpus-*,
# then fuzzes each for FUZZ_SECONDS (default 10). A crash leaves its input in
# $BUILD/fuzz/artifacts: add it to the matching corpus as a regression case.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
b=$top/${BUILD:-build}/fuzz
secs=${FUZZ_SECONDS:-10}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' >/tmp/mt_fz_probe.$$.c
if ! clang -fsanitize=fuzzer /tmp/mt_fz_probe.$$.c -o /tmp/mt_fz_probe.$$ 2>/dev/null; then
	rm -f /tmp/mt_fz_probe.$$*
	echo "SKIP: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"; exit 77
fi
rm -f /tmp/mt_fz_probe.$$*
mkdir -p "$b/artifacts"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Iformat/include"
srcs="format/src/reader.c format/src/textparse.c format/src/text.c format/src/writer.c format/src/meta.c format/src/filerec.c"
clang $flags -DFUZZ_BINARY tests/fuzz/fuzz_trace.c $srcs -o "$b/fuzz_binary" || { echo "FAIL: build fuzz_binary"; exit 1; }
clang $flags -DFUZZ_TEXT tests/fuzz/fuzz_trace.c $srcs -o "$b/fuzz_text" || { echo "FAIL: build fuzz_text"; exit 1; }
clang $flags tests/fuzz/fuzz_rule.c format/src/rule.c format/src/inject_apply.c -o "$b/fuzz_rule" || { echo "FAIL: build fuzz_rule"; exit 1; }
# what record and kernel record read from memory they do not own
clang $flags -Iruntime/include -Icli -Isym/include tests/fuzz/fuzz_ring.c cli/record_conv.c \
	cli/pcisysfs.c sym/src/objtrack.c runtime/common/ring.c \
	runtime/common/ring_file.c runtime/common/ring_lock.c runtime/common/ring_ns.c runtime/common/task.c \
	$srcs -lpthread -ldw -lelf -o "$b/fuzz_ring" || { echo "FAIL: build fuzz_ring"; exit 1; }
clang $flags -Icli -Isym/include tests/fuzz/fuzz_krec.c cli/kernel_drain.c cli/pcisysfs.c \
	sym/src/ksymrec.c $srcs -lpthread -o "$b/fuzz_krec" ||
	{ echo "FAIL: build fuzz_krec"; exit 1; }
mkdir -p tests/fuzz/corpus-ring tests/fuzz/corpus-krec
fail=0
for t in binary text rule ring krec; do
	seed=tests/fuzz/corpus-$t
	work=$b/work-$t
	rm -rf "$work"; mkdir -p "$work"
	# regression replay: every stored input must pass
	if ! "$b/fuzz_$t" -runs=0 "$seed" >"$b/replay-$t.log" 2>&1; then
		echo "FAIL: regression input in $seed crashes fuzz_$t"; tail -20 "$b/replay-$t.log"; fail=1; continue
	fi
	if ! nice "$b/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$b/artifacts/$t-" "$work" "$seed" >"$b/fuzz-$t.log" 2>&1; then
		echo "FAIL: fuzz_$t found a crash (input in $b/artifacts)"; grep -m3 -E 'ERROR|SUMMARY|==' "$b/fuzz-$t.log"; fail=1; continue
	fi
	echo "fuzz_$t: $(grep -Eo 'Done [0-9]+ runs' "$b/fuzz-$t.log" | tail -1) in ${secs}s, clean"
done
exit $fail

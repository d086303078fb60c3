# tests/e2e - end-to-end tests of `mmiotap record` (user-space preload
# backend). The scripts build their self-describing programs themselves
# (the families test over a gcc/clang x -O0..-O3 x -march=native matrix)
# and find the build through $BUILD.
CHECK_SCRIPTS += $(sort $(wildcard tests/e2e/test-record-*.sh)) tests/e2e/test-watch.sh tests/e2e/test-watch-gdb.sh \
	tests/e2e/test-watch-pid.sh tests/e2e/test-watch-pid-sys.sh tests/e2e/test-watch-sys.sh
export BUILD
CHECK_SCRIPTS += tests/e2e/test-campaign.sh
CHECK_SCRIPTS += tests/e2e/test-replay.sh tests/e2e/test-replay-files.sh tests/e2e/test-diff.sh \
	tests/e2e/test-diff-names.sh tests/e2e/test-diff-async.sh
CHECK_SCRIPTS += tests/replay/test-replay-recorded.sh tests/replay/test-replay-dpdk.sh

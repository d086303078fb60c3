#!/bin/bash
# mmiotap campaign on examples/campaign_demo: the plan from a recording
# (one experiment per read site and fault, rules the rule parser accepts),
# a hand-edited plan line, bad plans refused with their line number, the run
# in two shards merged by the report: all-ones on the trusted SLOT register
# is a crash named by the demo's object+offset (the handlers[slot] line),
# all-ones on the checked ID register is an error exit, not a crash; the
# hand-edited stuck BUSY is a hang killed at the timeout; the HTML report.
. tests/e2e/lib.sh
demo=$BUILD/examples/campaign_demo
[ -x "$demo" ] || fail "$demo not built"
dev='/memfd:campaign-demo*'

# 1. plan
"$M" record -q -t "$dev" -o "$W/base.trace" -- "$demo" >"$W/base.out" || fail "baseline record"
"$M" campaign plan --from "$W/base.trace" -o "$W/plan" 2>/dev/null || fail "plan"
head -1 "$W/plan" | grep -qx 'mmiotap-campaign-plan 1' || fail "plan: no magic line"
n=$(grep -vc '^#\|^mmiotap' "$W/plan")
[ "$n" = 4 ] || { cat "$W/plan"; fail "plan: want 4 experiments (4 read sites x all-ones), got $n"; }
grep -v '^#\|^mmiotap' "$W/plan" | cut -f6 | while IFS= read -r rule; do
	"$M" inject-check "$rule" >/dev/null || exit 1
done || fail "plan: a rule the parser refuses"
grep -q $'^3\tall-ones\t0x4/4\t1\tpc=0x[0-9a-f]*\tfile=/memfd:campaign-demo (deleted),off=0x4,width=4,dir=r,when=1,value=0xffffffff$' "$W/plan" ||
	{ cat "$W/plan"; fail "plan: SLOT experiment"; }
"$M" campaign plan --from "$W/base.trace" --faults flip:3,zero --occurrences every:2 -o "$W/plan2" 2>/dev/null ||
	fail "plan with faults"
[ "$(grep -c $'\tflip:3\t' "$W/plan2")" = 4 ] || fail "plan: flip:3 per site"
grep -q 'xor=0x8' "$W/plan2" || fail "plan: flip:3 is xor=0x8"
echo "ok: plan"

# 2. bad input: clear errors, with the line
"$M" campaign plan --from "$W/base.trace" --faults bogus -o "$W/x" 2>"$W/err" && fail "bad fault accepted"
grep -q "bad fault 'bogus'" "$W/err" || fail "bad fault: message"
printf 'mmiotap-campaign-plan 1\n# c\n1 all-ones 0x0/4 1 pc=0x1 file=/x,off=0x0,when=1,value=1\n2 zero 0x0/4 1 pc=0x1 file=/x,frob=1\n' >"$W/bad"
"$M" campaign run "$W/bad" -o "$W/xd" -- true 2>"$W/err" && fail "bad plan accepted"
grep -q "bad:4: RULE column .*frob" "$W/err" || { cat "$W/err"; fail "bad plan: no line/column"; }
printf 'not a plan\n' >"$W/bad"
"$M" campaign run "$W/bad" -o "$W/xd" -- true 2>"$W/err" && fail "non-plan accepted"
grep -q "bad:1: not a campaign plan" "$W/err" || fail "non-plan: message"
"$M" campaign plan --from /dev/null -o "$W/x" 2>"$W/err" && fail "empty trace: exit 0"
cp "$W/base.trace" "$W/self.trace"
"$M" campaign plan --from "$W/self.trace" -o "$W/self.trace" 2>/dev/null && fail "plan over its own trace: exit 0"
cmp -s "$W/base.trace" "$W/self.trace" || fail "plan -o the --from trace replaced the trace"
echo "ok: errors"

# 3. run in two shards (generous timeout: a loaded machine), then a
# hand-written hang experiment with a short one (5 s: the baseline must fit)
# (run from $W: the rerun commands cd there, their rerun.trace stays in $W)
demo=$(realpath "$demo")
(cd "$W" && "$M" campaign run -q --timeout 60 --shard 1/2 -t "$dev" plan -o d1 -- "$demo") ||
	fail "run shard 1"
(cd "$W" && "$M" campaign run -q -j 2 --timeout 60 --shard 2/2 -t "$dev" plan -o d2 -- "$demo") ||
	fail "run shard 2"
{ head -1 "$W/plan"; printf '9\tstuck:1\t0x8/4\t1\tpc=0x0\tfile=/memfd:campaign-demo*,off=0x8,width=4,dir=r,when=1+,value=1\n'; } >"$W/plan9"
"$M" campaign run -q --timeout 5 -t "$dev" "$W/plan9" -o "$W/d2" -- "$demo" || fail "run hang"
[ "$(cat "$W/d1/results.txt" "$W/d2/results.txt" | wc -l)" = 5 ] || fail "5 results in all"
ls "$W"/d1/e1.trace "$W"/d2/e2.trace >/dev/null || fail "experiment traces kept"
# started with SIGCHLD ignored (inherited through exec): the runs are still
# reaped by us, not lost to ECHILD
{ head -1 "$W/plan"; awk -F'\t' '$1==1' "$W/plan"; } >"$W/plan1"
python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])
' "$M" campaign run -q --timeout 60 -t "$dev" "$W/plan1" -o "$W/dchld" -- "$demo" ||
	fail "run with SIGCHLD ignored"
[ "$(wc -l <"$W/dchld/results.txt")" = 1 ] || fail "SIGCHLD ignored: want 1 result"
verdict() { cat "$W"/d?/results.txt | awk -F'\t' -v id="$1" '$1==id{print $2}'; }
[ "$(verdict 1)" = error ] || fail "ID all-ones: want error, got $(verdict 1)"
[ "$(verdict 2)" = same ] || fail "BUSY all-ones once: want same, got $(verdict 2)"
[ "$(verdict 3)" = crash ] || fail "SLOT all-ones: want crash, got $(verdict 3)"
[ "$(verdict 4)" = different ] || fail "DATA all-ones: want different, got $(verdict 4)"
[ "$(verdict 9)" = hang ] || fail "stuck BUSY: want hang, got $(verdict 9)"
crash=$(awk -F'\t' '$1==3{print $6}' "$W"/d?/results.txt)
off=${crash#*campaign_demo+}; off=${off%% *}
case $crash in *"/campaign_demo+0x"*) ;; *) fail "crash site: $crash" ;; esac
line=$(addr2line -e "$demo" "$off" 2>/dev/null)
grep -q 'handlers\[slot\](bar)' <(sed -n "${line##*:}p" examples/campaign_demo.c) ||
	fail "crash site $off is $line, not the handlers[slot] call"
awk -F'\t' '$1==2{print $7}' "$W"/d?/results.txt | grep -q 'access 3: R4 map 1 +0x8 = 0x0' ||
	fail "BUSY: the repeated poll is the divergence"
echo "ok: run ($crash)"

# 4. report over both shards
# (from another directory: the rerun command says where to cd)
"$M" campaign report --html "$W/r.html" "$W/d1" "$W/d2" >"$W/report" || fail "report"
head -1 "$W/report" | grep -qx '5 experiments: 1 crash, 1 hang, 1 error, 1 different, 1 same' ||
	{ cat "$W/report"; fail "report: totals"; }
grep -q '^3 distinct failures' "$W/report" || fail "report: distinct failures"
grep -q 'crash SIGSEGV .*campaign_demo+0x.*first 3 ' "$W/report" || fail "report: crash"
grep -q "rerun: .*&& mmiotap record -o rerun.trace --inject 'file=/memfd:campaign-demo (deleted),off=0x4,.*' --trace-file '/memfd:campaign-demo\*' -- .*campaign_demo" \
	"$W/report" || fail "report: rerun command"
grep -q '| campaign_demo: unknown device id 0xffffffff' "$W/report" || fail "report: first report"
grep -q '<td class="crash">1</td>' "$W/r.html" || fail "html: crash cell"
! grep -q '<script' "$W/r.html" || fail "html: not self-contained"
# the rerun command reproduces the crash
cmd=$(grep -A4 'crash SIGSEGV' "$W/report" | sed -n 's/^ *rerun: *//p')
mmiotap() { "$M" "$@"; }
(eval "$cmd" >/dev/null 2>&1)
[ $? = $((128 + 11)) ] || fail "rerun does not crash"
[ -s "$W/rerun.trace" ] || fail "rerun: no rerun.trace in the campaign's directory"
echo "ok: report"

# 5. collect: results of experiments another runner ran (eID.status)
mkdir "$W/c" && cp "$W/d1/baseline.s1.trace" "$W/c/" && cp "$W"/d?/e3.trace "$W/c/" || fail "collect setup"
printf 'crash\tkernel report\t1.5\tfoo+0x1/0x2 [drv] (BUG: x)\n' >"$W/c/e3.status"
printf 'bogus\n' >"$W/c/e1.status"
"$M" campaign collect "$W/plan" "$W/c" 2>"$W/err" || fail "collect"
grep -q 'e1.status: not VERDICT' "$W/err" || fail "collect: malformed status not reported"
[ "$(wc -l <"$W/c/results.txt")" = 1 ] || fail "collect: want 1 result"
awk -F'\t' '$1==3 && $2=="crash" && $3=="kernel report" && $5==1 && $8=="all-ones"' "$W/c/results.txt" |
	grep -q . || { cat "$W/c/results.txt"; fail "collect: result line"; }
"$M" campaign report "$W/c" | grep -q 'crash kernel report foo+0x1/0x2 \[drv\] (BUG: x)' || fail "collect: report"
# results that cannot be written: exit != 0
mkdir "$W/cf" && cp "$W/c/baseline.s1.trace" "$W/c/e3.trace" "$W/c/e3.status" "$W/cf/" &&
	ln -s /dev/full "$W/cf/results.txt" || fail "collect /dev/full setup"
"$M" campaign collect "$W/plan" "$W/cf" 2>"$W/err" && fail "collect: unwritable results.txt, exit 0"
grep -q 'cannot write' "$W/err" || fail "collect /dev/full: $(cat "$W/err")"
echo "ok: collect"
pass "campaign"

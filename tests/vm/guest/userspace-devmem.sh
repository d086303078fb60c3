# Guest side of test-userspace-devmem.sh: Debian's DYNAMIC busybox (package
# busybox) drives QEMU's edu device through /dev/mem under `mmiotap record`.
# devmem opens /dev/mem O_RDONLY for reads and O_RDWR for writes, so the
# tracer's alias must use the program's own protection.
# Writes: edu-bar (START-END), trace.mt (a shell running many devmem
# processes: fork + exec under the preload), devmem.txt (every value read).
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
bar=$1
echo "$1-$2" >"$VM_RESULTS/edu-bar"
echo "edu at $bdf, BAR0 $1-$2"
bb=$VM_BUSYBOX_DYN
[ -x "$bb" ] || vm_die "no dynamic busybox at $bb"
grep -q 'ld-linux-x86-64' "$bb" ||
	vm_die "$bb is not dynamically linked (LD_PRELOAD would not apply)"
reg() { printf '0x%x' $((bar + $1)); }

# A shell script of devmem calls, recorded as one trace; every value read
# is printed, in order, to devmem.txt.
cat >/tmp/drive.sh <<EOS
set -e
bb=$bb
r() { printf '0x%x' \$(($bar + \$1)); }
\$bb devmem \$(r 0x00) 32
\$bb devmem \$(r 0x04) 32 0x12345678
\$bb devmem \$(r 0x04) 32
\$bb devmem \$(r 0x00) 64
i=0
while [ \$i -lt 8 ]; do
	\$bb devmem \$(r 0x04) 32 \$((0x11111111 * (i + 1)))
	\$bb devmem \$(r 0x04) 32
	i=\$((i + 1))
done
\$bb devmem \$(r 0x08) 32 5
n=0
while :; do
	v=\$(\$bb devmem \$(r 0x20) 32); echo \$v
	[ \$((v & 1)) -ne 0 ] || break
	n=\$((n + 1)); [ \$n -lt 200 ]
done
\$bb devmem \$(r 0x08) 32
\$bb devmem \$(r 0x00) 8
\$bb devmem \$(r 0x04) 16 0xbeef
\$bb devmem \$(r 0x04) 32
EOS
"$mt" record -o "$VM_RESULTS/trace.mt" -- /bin/sh /tmp/drive.sh >"$VM_RESULTS/devmem.txt"
cat "$VM_RESULTS/devmem.txt"

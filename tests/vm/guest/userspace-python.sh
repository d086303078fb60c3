# Guest side of test-userspace-python.sh: Debian's python3 maps edu's BAR0
# through its sysfs resource0 file and accesses it with mmap slices (memcpy
# in CPython), struct.unpack_from/pack_into on the mapping, and single-byte
# indexing (edu rejects 1-byte accesses), under `mmiotap record`.
# Writes: edu-bar, trace.mt, python.txt (the script's own checks and values),
# edu.py (the script).
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
py=/usr/bin/python3
[ -x "$py" ] || vm_die "no $py (Debian package python3)"
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
res=/sys/bus/pci/devices/$bdf/resource0
echo "edu at $bdf, BAR0 $VM_BAR_START-$VM_BAR_END, $res"
echo 1 >"/sys/bus/pci/devices/$bdf/enable" 2>/dev/null || true

cat >/tmp/edu.py <<'EOS'
import mmap, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_SYNC)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
def check(what, got, want):
    print("%s 0x%x" % (what, got))
    if got != want:
        sys.exit("FAIL: %s is 0x%x, want 0x%x" % (what, got, want))
# 4-byte slices: id, liveness (reads back the inverse of what was written)
check("id", struct.unpack("<I", m[0:4])[0], 0x010000ed)
for i in range(1, 9):
    v = 0x01234567 * i & 0xffffffff
    m[4:8] = struct.pack("<I", v)
    check("live", struct.unpack("<I", m[4:8])[0], ~v & 0xffffffff)
# struct straight on the mapping (no slice copy)
struct.pack_into("<I", m, 4, 0xa5a5f00d)
check("live-from", struct.unpack_from("<I", m, 4)[0], 0x5a5a0ff2)
# 8-byte slices on the DMA registers (edu takes 4 and 8 bytes above 0x80)
for off, v in ((0x80, 0x1122334455667788), (0x88, 0xfedcba9876543210), (0x90, 0x40)):
    m[off:off + 8] = struct.pack("<Q", v)
    check("dma%x" % off, struct.unpack("<Q", m[off:off + 8])[0], v)
struct.pack_into("<Q", m, 0x80, 0x0123456789abcdef)
check("dma80-from", struct.unpack_from("<Q", m, 0x80)[0], 0x0123456789abcdef)
# factorial: write 6, poll the status bit, read 720
m[8:12] = struct.pack("<I", 6)
n = 0
while struct.unpack("<I", m[0x20:0x24])[0] & 1:
    n += 1
    if n > 1000:
        sys.exit("FAIL: factorial never finished")
check("fact", struct.unpack("<I", m[8:12])[0], 720)
# one byte: edu rejects it (QEMU's guest_errors); the value is not checked
print("byte 0x%x" % m[0])
m.close()
os.close(fd)
print("python: done")
EOS
cp /tmp/edu.py "$VM_RESULTS/edu.py" # for the host's replay of the trace
"$mt" record -o "$VM_RESULTS/trace.mt" -- "$py" /tmp/edu.py "$res" | tee "$VM_RESULTS/python.txt"
grep -q '^python: done' "$VM_RESULTS/python.txt" || vm_die "the python script failed"

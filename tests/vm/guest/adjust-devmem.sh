# Guest side of selftest-edu.sh, second part: accesses that QEMU adjusts to
# the sizes a model implements (e1000 and ivshmem registers take 4 bytes):
# an 8-byte write is split into two 4-byte ones, 1- and 2-byte reads are
# widened. Expected accesses go to $VM_RESULTS/expected-e1000.txt and
# expected-ivshmem.txt, the BARs to e1000-bar and ivshmem-bar.
set -e
. "$VM_LIB"
bdf=$(vm_pci_find 8086 100e)
vm_bar_save "$bdf" 0 e1000-bar
e=$VM_BAR_START
vm_expect_start "$VM_RESULTS/expected-e1000.txt"
vm_devmem $((e + 0x2800)) 64 0x1234567800abcde0      # RDBAL/RDBAH
lo=$(vm_devmem $((e + 0x2800)) 32)
hi=$(vm_devmem $((e + 0x2804)) 32)
[ $((lo)) -eq $((0x00abcde0)) ] && [ $((hi)) -eq $((0x12345678)) ] ||
	vm_die "e1000 RDBAL/RDBAH read $lo $hi after an 8-byte write"
vm_devmem $((e + 0x8)) 8 >/dev/null                   # STATUS, widened
vm_devmem $((e + 0x8)) 16 >/dev/null
vm_devmem $((e + 0x2800)) 64 >/dev/null               # split read

bdf=$(vm_pci_find 1af4 1110)
vm_bar_save "$bdf" 0 ivshmem-bar
v=$VM_BAR_START
vm_expect_start "$VM_RESULTS/expected-ivshmem.txt"
vm_devmem $((v + 0x0)) 32 0xffff                      # IntrMask
vm_devmem $((v + 0x0)) 32 >/dev/null
vm_devmem $((v + 0x0)) 8 >/dev/null
vm_devmem $((v + 0x8)) 16 >/dev/null                  # IVPosition
echo "adjust: $(grep -c '^[RW] ' "$VM_RESULTS/expected-e1000.txt") e1000 and" \
	"$(grep -c '^[RW] ' "$VM_RESULTS/expected-ivshmem.txt") ivshmem accesses made"

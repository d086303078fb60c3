// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt-edu.c - STATIC program driving QEMU's edu device through its sysfs
 * resource0 file with instructions of several families (MOV 4/8, ALU RMW,
 * XCHG, LOCK XADD, CMP, MOVBE, MOVNTI, REP MOVS, REP STOS, an SSE load that
 * QEMU splits), for tests/vm/test-ptrace-edu.sh. edu rejects 1- and 2-byte
 * accesses, so none are made. Prints the values it read; exit 1 if the id
 * or the factorial is wrong.
 *
 *   pt-edu /sys/bus/pci/devices/BDF/resource0
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror("pt-edu: open");
		return 2;
	}
	volatile uint8_t *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED) {
		perror("pt-edu: mmap");
		return 2;
	}
	volatile uint32_t *id = (volatile uint32_t *)b, *live = (volatile uint32_t *)(b + 4),
			  *fact = (volatile uint32_t *)(b + 8), *status = (volatile uint32_t *)(b + 0x20);
	uint32_t v;
	uint64_t q;
	int bad = 0;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(id) : "memory");
	printf("id %#x\n", v);
	bad |= v != 0x010000ed;
	__asm__ volatile("movl $0x12345678, (%0)" : : "r"(live) : "memory");
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(live) : "memory");
	printf("live %#x\n", v);
	__asm__ volatile("movq (%1), %0" : "=r"(q) : "r"(id) : "memory");
	printf("id64 %#llx\n", (unsigned long long)q);
	__asm__ volatile("orl $0x11, (%0)" : : "r"(live) : "memory", "cc");
	v = 0xa5a5a5a5;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(v) : "r"(live) : "memory");
	printf("xchg old %#x\n", v);
	v = 1;
	__asm__ volatile("lock xaddl %0, (%1)" : "+r"(v) : "r"(live) : "memory", "cc");
	printf("xadd old %#x\n", v);
	uint8_t eq;
	__asm__ volatile("cmpl $0x010000ed, (%1); sete %0" : "=q"(eq) : "r"(id) : "memory", "cc");
	printf("cmp eq %u\n", eq);
	bad |= !eq;
	__asm__ volatile("movbe (%1), %0" : "=r"(v) : "r"(id) : "memory");
	printf("movbe %#x\n", v);
	__asm__ volatile("movnti %1, (%0)" : : "r"(live), "r"(0xcafe0001u) : "memory");
	uint32_t regs[4];
	{
		void *si = (void *)id, *di = regs;
		uint64_t n = 3;
		__asm__ volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(n) : : "memory");
		printf("movs %#x %#x %#x\n", regs[0], regs[1], regs[2]);
	}
	{
		void *di = (void *)live;
		uint64_t n = 1;
		__asm__ volatile("cld; rep stosl" : "+D"(di), "+c"(n) : "a"(0x600d600du) : "memory");
	}
	{
		uint8_t x[16];
		__asm__ volatile("movdqu (%1), %%xmm2; movdqu %%xmm2, %0"
				 : "=m"(x) : "r"(id) : "xmm2", "memory");
		printf("movdqu %02x%02x%02x%02x\n", x[3], x[2], x[1], x[0]);
	}
	/* factorial of 5 */
	__asm__ volatile("movl $5, (%0)" : : "r"(fact) : "memory");
	for (int i = 0; i < 1000; i++) {
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(status) : "memory");
		if (!(v & 1))
			break;
		usleep(1000);
	}
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(fact) : "memory");
	printf("fact %u\n", v);
	bad |= v != 120;
	munmap((void *)b, 4096);
	close(fd);
	return bad;
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/* open() of a path under the device-describing prefixes from a signal
 * handler on a small alternate stack (argv[1] bytes): prints how many
 * bytes were written below it (0: the stack was enough). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GUARD 65536

static void handler(int sig)
{
	(void)sig;
	int fd = open("/sys/bus/pci/devices", O_RDONLY);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	size_t sz = argc > 1 ? strtoul(argv[1], NULL, 0) : 8192, used = 0;
	char *mem = malloc(sz + GUARD);
	struct sigaction sa;

	if (!mem)
		return 1;
	memset(mem, 0x5a, sz + GUARD);
	stack_t ss = { .ss_sp = mem + GUARD, .ss_size = sz };
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	for (size_t i = 0; i < GUARD; i++)
		if (mem[i] != 0x5a) {
			used = GUARD - i;
			break;
		}
	printf("%zu\n", used);
	return 0;
}

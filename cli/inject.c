// SPDX-License-Identifier: GPL-2.0 OR MIT
/* inject.c - `mmiotap inject-check RULE...`: parse rules, print them canonically. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mmiotap/inject.h"

int mt_cli_inject_check(int argc, char **argv);

int mt_cli_inject_check(int argc, char **argv)
{
	int i, bad = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: mmiotap inject-check RULE...\n"
			"Parse fault-injection rules (see mmiotap(1), INJECTION RULES) and print\n"
			"each in canonical form, or the error with its column.\n");
		return argc < 2 ? 2 : 0;
	}
	for (i = 1; i < argc; i++) {
		struct mt_inject_rule r;
		struct mt_rule_error e;
		char buf[512];

		if (mt_rule_parse(argv[i], &r, &e)) {
			error_msg("rule %d, column %u: %s: '%s'", i, e.column, e.msg, e.token);
			fprintf(stderr, "  %s\n  %*s^\n", argv[i], (int)e.column - 1, "");
			bad = 1;
			continue;
		}
		if (mt_rule_format(&r, buf, sizeof(buf)) < 0)
			error_msg_and_die("rule %d: cannot format", i);
		printf("%s\n", buf);
	}
	return bad;
}

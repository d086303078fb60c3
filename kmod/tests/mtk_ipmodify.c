// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_ipmodify.ko - a test module for mmiotap.ko's fault-hook fallback
 * (tests/vm/test-kmod-selftest.sh). It attaches an ftrace_ops flagged
 * IPMODIFY to kernelmode_fixup_or_oops*, as a live patch of that function
 * would; only one such ops may hold a function, so mmiotap.ko's ftrace
 * fault hook cannot attach while this module is loaded. Its callback
 * changes nothing and counts its calls (parameter hits, read-only).
 */
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/string.h>

static unsigned long hits; /* racy increments: a count for "> 0" checks */
module_param(hits, ulong, 0444);
MODULE_PARM_DESC(hits, "calls of kernelmode_fixup_or_oops seen");

static void notrace ipmodify_cb(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
}

static struct ftrace_ops ipmodify_ops = {
	.func = ipmodify_cb,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};

static int __init ipmodify_init(void)
{
	static char glob[] = "kernelmode_fixup_or_oops*"; /* the parser edits it */
	int ret = ftrace_set_filter(&ipmodify_ops, glob, strlen(glob), 1);

	if (ret) {
		pr_err("mtk_ipmodify: kernelmode_fixup_or_oops not found: %d\n", ret);
		return ret;
	}
	ret = register_ftrace_function(&ipmodify_ops);
	if (ret) {
		pr_err("mtk_ipmodify: register_ftrace_function: %d\n", ret);
		ftrace_free_filter(&ipmodify_ops);
		return ret;
	}
	pr_info("mtk_ipmodify: kernelmode_fixup_or_oops held with IPMODIFY\n");
	return 0;
}

static void __exit ipmodify_exit(void)
{
	unregister_ftrace_function(&ipmodify_ops);
	ftrace_free_filter(&ipmodify_ops);
}

module_init(ipmodify_init);
module_exit(ipmodify_exit);
MODULE_LICENSE("GPL");

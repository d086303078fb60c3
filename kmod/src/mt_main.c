// SPDX-License-Identifier: GPL-2.0
/*
 * mt_main.c - mmiotap.ko: module init/exit.
 *
 * Load order: decoder self-test, fault hook, fault-hook self-test (refuse
 * to load if this kernel's fault path does not reach us), ioremap hooks,
 * /dev/mmiotap. Parameters allow tracing from load time (before any
 * ioctl): phys=START-END,... selects physical ranges and starts at once.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include "mt_kmod.h"

static char *phys;
module_param(phys, charp, 0400);
MODULE_PARM_DESC(phys, "trace these physical ranges from load: START-END[,START-END...] (hex)");
static char *fault_hook = "auto";
module_param(fault_hook, charp, 0400);
MODULE_PARM_DESC(fault_hook, "auto (ftrace on kernelmode_fixup_or_oops, else the page_fault_kernel tracepoint: the first that passes the self-test), ftrace, or tracepoint");
static unsigned int buf_records;
module_param(buf_records, uint, 0400);
MODULE_PARM_DESC(buf_records, "per-CPU buffer size in records (power of two)");

#define MTK_MAX_PHYS 32

/* phys=START-END,...: a session owned by the module, started at load. */
static int mtk_start_phys(char *s)
{
	static struct mmiotap_ksel sel[MTK_MAX_PHYS];
	unsigned int n = 0;
	char *tok;

	while ((tok = strsep(&s, ","))) {
		char *dash = strchr(tok, '-');

		if (!dash || n == MTK_MAX_PHYS)
			return -EINVAL;
		*dash = 0;
		sel[n] = (struct mmiotap_ksel){ .size = sizeof(sel[n]), .kind = MMIOTAP_KSEL_PHYS };
		if (kstrtoull(tok, 16, &sel[n].start) || kstrtoull(dash + 1, 16, &sel[n].end))
			return -EINVAL;
		n++;
	}
	return mtk_session_start_module(sel, n, buf_records);
}

static const struct { const char *name; enum mtk_fault_hook_kind kind; } hooks[] = {
	{ "ftrace", MTK_HOOK_FTRACE },
	{ "tracepoint", MTK_HOOK_TRACEPOINT },
};

static int __init mtk_init(void)
{
	int ret = mtk_decoder_selftest();
	unsigned int i;

	if (ret)
		return ret;
	if (strcmp(fault_hook, "auto") && strcmp(fault_hook, "tracepoint") &&
	    strcmp(fault_hook, "ftrace")) {
		pr_err("mmiotap: fault_hook=%s: want auto, tracepoint or ftrace\n", fault_hook);
		return -EINVAL;
	}
	ret = mtk_fault_init();
	if (ret)
		goto err_fault;
	/* auto: the cheaper hook first (mtk_fault_hook_attach()); each must
	 * pass the self-test, else the next is tried. */
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		if (strcmp(fault_hook, "auto") && strcmp(fault_hook, hooks[i].name))
			continue;
		ret = mtk_fault_hook_attach(hooks[i].kind);
		if (!ret) {
			ret = mtk_fault_selftest();
			if (!ret)
				break;
			mtk_fault_hook_detach();
		}
	}
	if (ret) {
		pr_err("mmiotap: no fault hook works on this kernel (fault_hook=%s): refusing to load\n",
		       fault_hook);
		goto err_fault;
	}
	ret = mtk_ioremap_hooks_init();
	if (ret)
		goto err_fault;
	ret = mtk_dev_init();
	if (ret)
		goto err_hooks;
	if (phys) {
		ret = mtk_start_phys(phys);
		if (ret) {
			pr_err("mmiotap: bad phys= or buf_records= parameter (%d)\n", ret);
			goto err_dev;
		}
	}
	pr_info("mmiotap: loaded (fault hook: %s; self-test passed)\n", mtk_fault_hook_name);
	return 0;
err_dev:
	mtk_dev_exit();
	mtk_session_exit();
err_hooks:
	mtk_ioremap_hooks_exit();
	mtk_region_remove_all(true);
err_fault:
	mtk_fault_exit();
	return ret;
}

static void __exit mtk_exit(void)
{
	struct mtk_stats st;

	mtk_dev_exit();
	mtk_session_exit();
	mtk_ioremap_hooks_exit();
	mtk_region_remove_all(true);
	mtk_fault_exit();
	mtk_stats_sum(&st);
	pr_info("mmiotap: unloaded (%llu faults emulated, %llu unknown (%llu single-stepped), %llu ns per fault in the fault probe)\n",
		st.faults, st.unknown, st.stepped,
		st.probe_timed ? st.probe_ns / st.probe_timed : 0);
}

module_init(mtk_init);
module_exit(mtk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmiotap: trace and fault-inject MMIO of kernel drivers");

// SPDX-License-Identifier: GPL-2.0
/*
 * mt_main.c - mmiotap.ko: module init/exit.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include "mt_kmod.h"

static int __init mtk_init(void)
{
	return mtk_decoder_selftest();
}

static void __exit mtk_exit(void)
{
}

module_init(mtk_init);
module_exit(mtk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmiotap: trace and fault-inject MMIO of kernel drivers");

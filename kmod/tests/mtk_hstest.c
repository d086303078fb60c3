// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_hstest.ko - the kernel half of a user-space/kernel handshake on
 * QEMU's edu device (tests/vm/test-record-kernel.sh). Maps BAR0 with
 * pci_iomap at load. Writing K to /sys/module/mtk_hstest/parameters/poke
 * reads edu's 0x80 (DMA source: plain storage) and wants K there (the
 * command user space wrote through /dev/mem just before), then writes the
 * answer K ^ 0x5a5a0000 to 0x88 (DMA destination), which user space reads
 * back after the write returns. The write fails with -EIO if 0x80 did not
 * hold K. So the true order is: user W 0x80, kernel R 0x80, kernel W 0x88,
 * user R 0x88, each step caused by the one before.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>

#define EDU_CMD 0x80
#define EDU_ANS 0x88
#define ANS_XOR 0x5a5a0000u

static struct pci_dev *pdev;
static void __iomem *bar;
static unsigned int pokes;

static int poke_set(const char *val, const struct kernel_param *kp)
{
	u32 k, got;
	int ret = kstrtou32(val, 0, &k);

	if (ret)
		return ret;
	if (!bar)
		return -ENODEV;
	got = ioread32(bar + EDU_CMD);
	if (got != k) {
		pr_err("mtk_hstest: command register holds %#x, want %#x\n", got, k);
		return -EIO;
	}
	iowrite32(k ^ ANS_XOR, bar + EDU_ANS);
	pokes++;
	return 0;
}

static const struct kernel_param_ops poke_ops = { .set = poke_set };
module_param_cb(poke, &poke_ops, NULL, 0200);
MODULE_PARM_DESC(poke, "K: read edu's 0x80 (must be K), write K ^ 0x5a5a0000 to 0x88");

static int __init hstest_init(void)
{
	int ret;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	ret = pci_enable_device(pdev);
	if (ret)
		goto put;
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto put;
	}
	pr_info("mtk_hstest: edu BAR0 mapped\n");
	return 0;
put:
	pci_dev_put(pdev);
	return ret;
}

static void __exit hstest_exit(void)
{
	pci_iounmap(pdev, bar);
	pci_dev_put(pdev);
	pr_info("mtk_hstest: %u handshakes\n", pokes);
}

module_init(hstest_init);
module_exit(hstest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmiotap test: kernel half of a user-space/kernel handshake on edu");

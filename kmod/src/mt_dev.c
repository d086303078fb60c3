// SPDX-License-Identifier: GPL-2.0
/*
 * mt_dev.c - /dev/mmiotap: the control and read interface of kabi.h.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include "mt_kmod.h"

static DEFINE_MUTEX(mtk_ctl_mutex);
static unsigned int mtk_cfg_records;

/* Copy a size-first struct from user space, accepting older, smaller ones. */
static int mtk_copy_opts(void *dst, size_t dsize, const void __user *src)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)src))
		return -EFAULT;
	if (usize < sizeof(u32) || usize > 4096)
		return -EINVAL;
	memset(dst, 0, dsize);
	if (usize > dsize) {
		/* Newer caller: the extra bytes must be zero. */
		int ret = check_zeroed_user((const char __user *)src + dsize, usize - dsize);

		if (ret <= 0)
			return ret ? ret : -E2BIG;
		usize = dsize;
	}
	if (copy_from_user(dst, src, usize))
		return -EFAULT;
	return 0;
}

static long mtk_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret = 0;

	mutex_lock(&mtk_ctl_mutex);
	switch (cmd) {
	case MMIOTAP_KIOC_VERSION:
		ret = put_user(MMIOTAP_KABI_VERSION, (u32 __user *)uarg);
		break;
	case MMIOTAP_KIOC_CONFIG: {
		struct mmiotap_kcfg c;

		ret = mtk_copy_opts(&c, sizeof(c), uarg);
		if (!ret && mtk_tracing)
			ret = -EBUSY;
		if (!ret)
			mtk_cfg_records = c.buf_records;
		break;
	}
	case MMIOTAP_KIOC_SELECT: {
		struct mmiotap_ksel s;

		ret = mtk_copy_opts(&s, sizeof(s), uarg);
		if (!ret && mtk_tracing)
			ret = -EBUSY;
		if (!ret)
			ret = mtk_select_add(&s);
		break;
	}
	case MMIOTAP_KIOC_START:
		if (mtk_tracing) {
			ret = -EBUSY;
			break;
		}
		ret = mtk_buf_alloc(mtk_cfg_records);
		if (ret)
			break;
		WRITE_ONCE(mtk_tracing, true);
		ret = mtk_attach_existing();
		break;
	case MMIOTAP_KIOC_STOP:
		WRITE_ONCE(mtk_tracing, false);
		mtk_region_remove_all(false);
		mtk_select_clear();
		mtk_inject_clear();
		break;
	case MMIOTAP_KIOC_MARK: {
		struct mmiotap_kmark m;

		ret = mtk_copy_opts(&m, sizeof(m), uarg);
		if (!ret && (!m.len || m.len > MMIOTAP_KMARK_MAX))
			ret = -EINVAL;
		if (!ret && !mtk_tracing)
			ret = -ENODATA;
		if (!ret)
			ret = mtk_mark(m.text, m.len);
		break;
	}
	case MMIOTAP_KIOC_INJECT: {
		struct mmiotap_kinject k;

		ret = mtk_copy_opts(&k, sizeof(k), uarg);
		if (!ret && mtk_tracing)
			ret = -EBUSY;
		if (!ret)
			ret = mtk_inject_set(&k);
		break;
	}
	case MMIOTAP_KIOC_STATUS: {
		struct mmiotap_kstatus st;
		struct mtk_stats sum;

		ret = mtk_copy_opts(&st, sizeof(st), uarg);
		if (ret)
			break;
		st.tracing = READ_ONCE(mtk_tracing);
		st.last_seq = mtk_last_seq();
		mtk_stats_sum(&sum);
		st.emulated = sum.faults;
		st.unknown = sum.unknown;
		st.lost = atomic64_read(&mtk_lost_total);
		st.regions = mtk_regions_armed();
		/* Write back no more than the caller's size. */
		if (copy_to_user(uarg, &st, min_t(u32, st.size, sizeof(st))))
			ret = -EFAULT;
		break;
	}
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&mtk_ctl_mutex);
	return ret;
}

static ssize_t mtk_read(struct file *f, char __user *buf, size_t len, loff_t *pos)
{
	return mtk_buf_read(buf, len);
}

static const struct file_operations mtk_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mtk_ioctl,
	.read = mtk_read,
	.llseek = noop_llseek,
};

static struct miscdevice mtk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mmiotap",
	.fops = &mtk_fops,
	.mode = 0600,
};

int mtk_dev_init(void)
{
	return misc_register(&mtk_misc);
}

void mtk_dev_exit(void)
{
	misc_deregister(&mtk_misc);
}

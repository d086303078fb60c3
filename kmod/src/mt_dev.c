// SPDX-License-Identifier: GPL-2.0
/*
 * mt_dev.c - /dev/mmiotap: the control and read interface of kabi.h
 * (the session and its ioctls: mt_session.c; the rings: mt_buf.c).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include "mt_kmod.h"

static int mtk_open(struct inode *inode, struct file *f)
{
	return mtk_session_may_open();
}

static int mtk_release(struct inode *inode, struct file *f)
{
	mtk_session_release(f);
	return 0;
}

static ssize_t mtk_read(struct file *f, char __user *buf, size_t len, loff_t *pos)
{
	if (!mtk_session_may_read(f))
		return -EBUSY;
	return mtk_buf_read(buf, len);
}

static __poll_t mtk_poll(struct file *f, poll_table *pt)
{
	if (!mtk_session_may_read(f))
		return EPOLLERR;
	return mtk_buf_poll(f, pt);
}

static const struct file_operations mtk_fops = {
	.owner = THIS_MODULE,
	.open = mtk_open,
	.release = mtk_release,
	.unlocked_ioctl = mtk_session_ioctl,
	/* 32-bit callers: the structures have one layout on both (fixed-size
	 * fields, u64 for pointers); mtk_ioc_canon() takes their ioctl numbers */
	.compat_ioctl = compat_ptr_ioctl,
	.read = mtk_read,
	.poll = mtk_poll,
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

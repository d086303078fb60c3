// SPDX-License-Identifier: GPL-2.0
/*
 * mt_session.c - the one recording session: who owns it, its life, and the
 * control ioctls of kabi.h.
 *
 * A session is created by the first control ioctl (CONFIG, SELECT, INJECT,
 * START) of an open file and is owned by that file: only its owner may
 * configure, start, stop and read it. Closing the owner's file (exit or
 * SIGKILL of the recorder included) stops the session and releases
 * everything: regions disarmed, injection rules and record rings freed once
 * no CPU can be inside the fault path (mtk_quiesce()). A session started by
 * the phys= module parameter belongs to the module: any opener may read and
 * stop it. Other openers may only ask for STATUS and put MARKs.
 *
 * Every ioctl, and opening the device, need CAP_SYS_RAWIO (as /dev/mem
 * does); opening is refused while the kernel is locked down
 * (LOCKDOWN_MMIOTRACE, as the kernel's own mmiotrace).
 *
 * Locks: mtk_ctl_mutex serialises the ioctls and the session's life;
 * inside it, mtk_region_mutex (mt_fault.c) guards regions, selections and
 * the tracing flag, and mtk_read_mutex (mt_buf.c) the rings.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/capability.h>
#include <linux/security.h>
#include "mt_kmod.h"

#define MTK_OWNER_MODULE ((struct file *)1) /* phys= at load */

static DEFINE_MUTEX(mtk_ctl_mutex);
static struct {
	struct file *owner;     /* NULL: no session */
	pid_t owner_tgid;
	bool started;           /* START done: the rings exist */
	u32 buf_records;
} mtk_sess;

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

int mtk_session_may_open(void)
{
	int ret;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	ret = security_locked_down(LOCKDOWN_MMIOTRACE);
	if (ret)
		pr_notice_ratelimited("mmiotap: refused: the kernel is locked down\n");
	return ret;
}

/* The caller owns the session, creating it if there is none. */
static int mtk_claim(struct file *f)
{
	if (!mtk_sess.owner) {
		mtk_sess.owner = f;
		mtk_sess.owner_tgid = task_tgid_nr(current);
		mtk_sess.started = false;
		mtk_sess.buf_records = 0;
		return 0;
	}
	return mtk_sess.owner == f ? 0 : -EBUSY;
}

static bool mtk_owns(struct file *f)
{
	return mtk_sess.owner && (mtk_sess.owner == f || mtk_sess.owner == MTK_OWNER_MODULE);
}

static int mtk_start(void)
{
	int ret;

	if (mtk_tracing_on())
		return -EBUSY;
	ret = security_locked_down(LOCKDOWN_MMIOTRACE);
	if (ret)
		return ret;
	ret = mtk_buf_alloc(mtk_sess.buf_records);
	if (ret)
		return ret;
	mtk_sess.started = true;
	mtk_tracing_set(true);
	return mtk_attach_existing();
}

/* Tracing off: no new region, every recorded region disarmed (UNMAP
 * records), selections and rules gone. The rings stay readable. */
static void mtk_stop(void)
{
	mtk_tracing_set(false);
	mtk_region_remove_all(false);
	mtk_select_clear();
	mtk_inject_clear();
}

/* The end of the session: everything released. */
static void mtk_session_end(void)
{
	mtk_stop();
	mtk_buf_free();
	memset(&mtk_sess, 0, sizeof(mtk_sess));
}

static long mtk_ioctl_status(void __user *uarg)
{
	struct mmiotap_kstatus st;
	struct mtk_stats sum;
	long ret;

	ret = mtk_copy_opts(&st, sizeof(st), uarg);
	if (ret)
		return ret;
	st.tracing = mtk_tracing_on();
	st.last_seq = mtk_last_seq();
	mtk_stats_sum(&sum);
	st.emulated = sum.faults;
	st.unknown = sum.unknown;
	st.lost = atomic64_read(&mtk_lost_total);
	st.regions = mtk_regions_armed();
	st.waits = sum.waits;
	st.owner_pid = mtk_sess.owner == MTK_OWNER_MODULE ? 0 : mtk_sess.owner_tgid;
	st.session = mtk_sess.owner ? (mtk_sess.owner == MTK_OWNER_MODULE ? 2 : 1) : 0;
	/* Write back no more than the caller's size. */
	if (copy_to_user(uarg, &st, min_t(u32, st.size, sizeof(st))))
		return -EFAULT;
	return 0;
}

static long mtk_ioctl_mark(void __user *uarg)
{
	struct mmiotap_kmark m;
	long ret = mtk_copy_opts(&m, sizeof(m), uarg);

	if (!ret && (!m.len || m.len > MMIOTAP_KMARK_MAX))
		ret = -EINVAL;
	if (!ret && !mtk_tracing_on())
		ret = -ENODATA;
	if (!ret)
		ret = mtk_mark(m.text, m.len);
	return ret;
}

/* CONFIG, SELECT, INJECT: before START, by the owner (who becomes it). */
static long mtk_ioctl_setup(struct file *f, unsigned int cmd, void __user *uarg)
{
	union {
		struct mmiotap_kcfg c;
		struct mmiotap_ksel s;
		struct mmiotap_kinject k;
	} u;
	long ret;

	switch (cmd) {
	case MMIOTAP_KIOC_CONFIG: ret = mtk_copy_opts(&u.c, sizeof(u.c), uarg); break;
	case MMIOTAP_KIOC_SELECT: ret = mtk_copy_opts(&u.s, sizeof(u.s), uarg); break;
	default: ret = mtk_copy_opts(&u.k, sizeof(u.k), uarg); break;
	}
	if (ret)
		return ret;
	ret = mtk_claim(f);
	if (!ret && mtk_tracing_on())
		ret = -EBUSY;
	if (ret)
		return ret;
	switch (cmd) {
	case MMIOTAP_KIOC_CONFIG:
		mtk_sess.buf_records = u.c.buf_records;
		return 0;
	case MMIOTAP_KIOC_SELECT:
		return mtk_select_add(&u.s);
	default:
		return mtk_inject_set(&u.k);
	}
}

/*
 * The command this module knows under cmd's number: the size encoded in
 * an ioctl number is the caller's struct size, which an older or newer
 * mmiotap may have made smaller or larger (the structs carry their size
 * first: mtk_copy_opts() takes both). Same type and direction only.
 */
static unsigned int mtk_ioc_canon(unsigned int cmd)
{
	static const unsigned int known[] = {
		MMIOTAP_KIOC_VERSION, MMIOTAP_KIOC_CONFIG, MMIOTAP_KIOC_SELECT,
		MMIOTAP_KIOC_START, MMIOTAP_KIOC_STOP, MMIOTAP_KIOC_MARK,
		MMIOTAP_KIOC_STATUS, MMIOTAP_KIOC_INJECT,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (_IOC_TYPE(cmd) == _IOC_TYPE(known[i]) && _IOC_NR(cmd) == _IOC_NR(known[i]) &&
		    _IOC_DIR(cmd) == _IOC_DIR(known[i]))
			return known[i];
	return cmd;
}

long mtk_session_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	cmd = mtk_ioc_canon(cmd);
	mutex_lock(&mtk_ctl_mutex);
	switch (cmd) {
	case MMIOTAP_KIOC_VERSION:
		ret = put_user(MMIOTAP_KABI_VERSION, (u32 __user *)uarg);
		break;
	case MMIOTAP_KIOC_CONFIG:
	case MMIOTAP_KIOC_SELECT:
	case MMIOTAP_KIOC_INJECT:
		ret = mtk_ioctl_setup(f, cmd, uarg);
		break;
	case MMIOTAP_KIOC_START:
		ret = mtk_claim(f);
		if (!ret)
			ret = mtk_start();
		break;
	case MMIOTAP_KIOC_STOP:
		ret = mtk_owns(f) ? 0 : mtk_sess.owner ? -EBUSY : -ENODATA;
		if (!ret)
			mtk_stop();
		break;
	case MMIOTAP_KIOC_MARK:
		ret = mtk_ioctl_mark(uarg);
		break;
	case MMIOTAP_KIOC_STATUS:
		ret = mtk_ioctl_status(uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&mtk_ctl_mutex);
	return ret;
}

/* Whether f may read the session's records (its owner, or anyone for the
 * module's own session). */
bool mtk_session_may_read(struct file *f)
{
	bool ok;

	mutex_lock(&mtk_ctl_mutex);
	ok = mtk_owns(f);
	mutex_unlock(&mtk_ctl_mutex);
	return ok;
}

void mtk_session_release(struct file *f)
{
	mutex_lock(&mtk_ctl_mutex);
	if (mtk_sess.owner == f)
		mtk_session_end();
	mutex_unlock(&mtk_ctl_mutex);
}

/* phys= at load: a session owned by the module, started at once. */
int mtk_session_start_module(const struct mmiotap_ksel *sel, unsigned int nsel,
			     unsigned int buf_records)
{
	unsigned int i;
	int ret = 0;

	mutex_lock(&mtk_ctl_mutex);
	mtk_sess.owner = MTK_OWNER_MODULE;
	mtk_sess.buf_records = buf_records;
	for (i = 0; i < nsel && !ret; i++)
		ret = mtk_select_add(&sel[i]);
	if (!ret)
		ret = mtk_start();
	if (ret)
		mtk_session_end();
	mutex_unlock(&mtk_ctl_mutex);
	return ret;
}

/* Module exit (no file can be open: each holds a module reference). */
void mtk_session_exit(void)
{
	mutex_lock(&mtk_ctl_mutex);
	mtk_session_end();
	mutex_unlock(&mtk_ctl_mutex);
}

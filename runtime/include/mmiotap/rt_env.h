/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_env.h - every environment variable through which `mmiotap record`
 * configures the preloaded runtime (libmmiotap-preload.so). Nothing else
 * crosses the boundary between the CLI and the traced process.
 */
#ifndef MMIOTAP_RT_ENV_H
#define MMIOTAP_RT_ENV_H

/* Path of the shared event ring file (created by `mmiotap record`). */
#define MT_ENV_RING "MMIOTAP_RING"
/* Extra traced path globs, separated by newlines (fnmatch(3), no flags). */
#define MT_ENV_TRACE_FILES "MMIOTAP_TRACE_FILES"
/* Injection rules (format/ rule language), separated by newlines. */
#define MT_ENV_INJECT "MMIOTAP_INJECT"
/* "0" disables the default traced set (/dev/mem, /dev/uioN, PCI resources, VFIO). */
#define MT_ENV_DEFAULTS "MMIOTAP_DEFAULTS"
/* Path of the preload library itself, re-added to LD_PRELOAD across execve. */
#define MT_ENV_LIB "MMIOTAP_LIB"
/* "1": print one line per runtime problem on stderr (off by default). */
#define MT_ENV_DEBUG "MMIOTAP_DEBUG"

/* `mmiotap watch`: the objects to watch, one a line (runtime/preload/watch.c):
 *   E VADDR LEN FLAGS NAME   VADDR in the main program's ELF (load bias added)
 *   S SYMBOL OFF LEN FLAGS NAME  a symbol found with dlsym once its object
 *                            is loaded (LEN 0: the symbol's size - OFF)
 *   A ADDR LEN FLAGS NAME    an absolute address
 * numbers in hex without 0x, FLAGS the MMIOTAP_WATCH_* bits. */
#define MT_ENV_WATCH "MMIOTAP_WATCH"

#endif

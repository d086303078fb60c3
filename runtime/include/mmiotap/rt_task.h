/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_task.h - is a thread or process still there? Raw syscalls only: used
 * inside the SIGSEGV handler (and open() is interposed by the preload
 * library). errno is preserved.
 */
#ifndef MMIOTAP_RT_TASK_H
#define MMIOTAP_RT_TASK_H

#include <stdint.h>

/* Its start time (/proc/ID/stat field 22, clock ticks since boot), 0 if
 * it is gone or /proc cannot tell. */
uint64_t mt_task_start(uint32_t id);
/* 1 if thread/process id has exited or is a zombie; with start != 0, also
 * if id now names another task (its start time differs: the id was
 * reused). Without /proc: kill(id, 0) says whether it exists. */
int mt_task_dead(uint32_t id, uint64_t start);

#endif

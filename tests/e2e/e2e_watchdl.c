// SPDX-License-Identifier: GPL-2.0 OR MIT
/* e2e_watchdl.c - libwatchdl.so, dlopen'ed by e2e_watch.c: one object. */
volatile long dl_counter;

/* SPDX-License-Identifier: GPL-2.0 */
/* mt_kmod.h - internal interfaces between the files of mmiotap.ko. */
#ifndef MT_KMOD_H
#define MT_KMOD_H

int mtk_decoder_selftest(void);

#endif

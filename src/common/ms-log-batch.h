/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * stderr lines of a thread that runs a main loop, written once a turn (see
 * ms-log-batch.c). @urgent lines (warnings and worse) are written at once,
 * after the ones before them.
 */
void
ms_log_batch_write(const char *line, gsize length, gboolean urgent);
void
ms_log_batch_flush(void);
GString *
ms_log_batch_begin_line(void);
void
ms_log_batch_end_line(void);

G_END_DECLS

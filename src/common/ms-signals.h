/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* called in the main loop with each signal that came: SIGTERM, SIGINT or SIGHUP */
typedef void (*MsSignalFunc)(int signal_number, gpointer user_data);

void
ms_signals_block(void);
guint
ms_signals_watch(MsSignalFunc func, gpointer user_data, GError **error);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void
ms_notify_ready(const char *status);
void
ms_notify_status(const char *status);
void
ms_notify_stopping(void);
void
ms_notify_reloading(void);
guint
ms_notify_watchdog_start(void);

G_END_DECLS

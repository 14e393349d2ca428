#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MsIdleMonitor MsIdleMonitor;

MsIdleMonitor *
ms_idle_monitor_new(guint timeout_seconds, GSourceFunc on_idle, gpointer user_data);
void
ms_idle_monitor_free(MsIdleMonitor *self);
void
ms_idle_monitor_hold(MsIdleMonitor *self);
void
ms_idle_monitor_release(MsIdleMonitor *self);
guint
ms_idle_monitor_get_active(MsIdleMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsIdleMonitor, ms_idle_monitor_free)

G_END_DECLS

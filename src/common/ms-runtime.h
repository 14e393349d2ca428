/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "ms-runtime-server.h"

G_BEGIN_DECLS

#define MS_TYPE_RUNTIME (ms_runtime_get_type())
G_DECLARE_FINAL_TYPE(MsRuntime, ms_runtime, MS, RUNTIME, GObject)

#define MS_RUNTIME_DEFAULT_IDLE_TIMEOUT 30

/**
 * MsRuntimeStatusFunc:
 * @n_connections: the server's open connections, as last counted
 *
 * Returns: (transfer full) (nullable): the STATUS= line for systemd, sent
 *   every few seconds and with READY=1
 */
typedef char *(*MsRuntimeStatusFunc)(guint n_connections, gpointer user_data);

/**
 * MsRuntimeReloadFunc:
 *
 * Runs on SIGHUP, between RELOADING=1 and READY=1.
 *
 * Returns: (transfer full) (nullable): the STATUS= line sent with READY=1;
 *   %NULL for the one it would send at start
 */
typedef char *(*MsRuntimeReloadFunc)(gpointer user_data);

MsRuntime *
ms_runtime_new(const char *name);
const char *
ms_runtime_get_identifier(MsRuntime *self);
gboolean
ms_runtime_parse_args(MsRuntime *self,
		      int *argc,
		      char ***argv,
		      const char *summary,
		      const GOptionEntry *extra_entries,
		      GError **error);
void
ms_runtime_set_server(MsRuntime *self, MsRuntimeServer *server);
void
ms_runtime_set_status_func(MsRuntime *self, MsRuntimeStatusFunc func, gpointer user_data);
void
ms_runtime_set_reload_func(MsRuntime *self, MsRuntimeReloadFunc func, gpointer user_data);
gboolean
ms_runtime_run(MsRuntime *self, GError **error);

G_END_DECLS

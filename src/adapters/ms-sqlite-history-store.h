/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-history-store.h"

G_BEGIN_DECLS

#define MS_TYPE_SQLITE_HISTORY_STORE (ms_sqlite_history_store_get_type())
G_DECLARE_FINAL_TYPE(MsSqliteHistoryStore,
		     ms_sqlite_history_store,
		     MS,
		     SQLITE_HISTORY_STORE,
		     GObject)

#define MS_SQLITE_HISTORY_SCHEMA_VERSION  1
#define MS_SQLITE_HISTORY_BUSY_TIMEOUT_MS 2000

MsHistoryStore *
ms_sqlite_history_store_new(const char *path, guint busy_timeout_ms, GError **error);

G_END_DECLS

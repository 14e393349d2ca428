/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-history-store.h"

G_BEGIN_DECLS

/*
 * What every implementation of the history store port must do, written once and
 * run against each of them: the in-memory fake the service and handler tests
 * rely on must behave like the SQLite adapter the service runs on.
 */

/* a new, empty store; @dir is a private directory removed after the test */
typedef MsHistoryStore *(*MsHistoryStoreFactory)(const char *dir);

void
ms_history_store_contract_add_tests(const char *implementation, MsHistoryStoreFactory factory);

G_END_DECLS

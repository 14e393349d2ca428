/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-history-store.h"

G_BEGIN_DECLS

#define MS_TYPE_FAKE_HISTORY_STORE (ms_fake_history_store_get_type())
G_DECLARE_FINAL_TYPE(MsFakeHistoryStore, ms_fake_history_store, MS, FAKE_HISTORY_STORE, GObject)

MsHistoryStore *
ms_fake_history_store_new(void);
void
ms_fake_history_store_fail_with(MsFakeHistoryStore *self, int code);
guint
ms_fake_history_store_get_size(MsFakeHistoryStore *self);
const MsHistoryEntry *
ms_fake_history_store_get_entry(MsFakeHistoryStore *self, guint index);

G_END_DECLS

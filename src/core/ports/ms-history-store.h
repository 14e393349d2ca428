/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The history store port: where the calculator keeps what each user computed.
 *
 * It is synchronous on purpose. The one adapter is a local SQLite file whose
 * statements take microseconds to a few milliseconds, so it runs on the main thread;
 * a store that must wait on something slower would wrap this port with a worker
 * thread (GTask) rather than change it.
 */
#define MS_TYPE_HISTORY_STORE (ms_history_store_get_type())
G_DECLARE_INTERFACE(MsHistoryStore, ms_history_store, MS, HISTORY_STORE, GObject)

#define MS_HISTORY_STORE_ERROR (ms_history_store_error_quark())

typedef enum {
	MS_HISTORY_STORE_ERROR_BUSY,   /* locked by another writer for too long: retry later */
	MS_HISTORY_STORE_ERROR_FULL,   /* no space left for the store */
	MS_HISTORY_STORE_ERROR_FAILED, /* anything else the store cannot do */
} MsHistoryStoreError;

#define MS_HISTORY_LIMIT_DEFAULT 20
#define MS_HISTORY_LIMIT_MAX     100

typedef struct {
	gint64 id; /* increases with every entry, never reused */
	char *user;
	char *expression;
	double result;     /* as appended, but -0 comes back as 0 */
	gint64 created_at; /* microseconds since the epoch, UTC */
} MsHistoryEntry;

struct _MsHistoryStoreInterface {
	GTypeInterface parent_iface;

	gboolean (*append)(MsHistoryStore *self,
			   const char *user,
			   const char *expression,
			   double result,
			   gint64 created_at,
			   gint64 *id,
			   GError **error);
	GPtrArray *(*list)(MsHistoryStore *self,
			   const char *user,
			   gint64 before_id,
			   guint limit,
			   GError **error);
	gboolean (*clear)(MsHistoryStore *self,
			  const char *user,
			  guint64 *n_deleted,
			  GError **error);
};

GQuark
ms_history_store_error_quark(void);

MsHistoryEntry *
ms_history_entry_new(gint64 id,
		     const char *user,
		     const char *expression,
		     double result,
		     gint64 created_at);
void
ms_history_entry_free(MsHistoryEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHistoryEntry, ms_history_entry_free)

gboolean
ms_history_store_append(MsHistoryStore *self,
			const char *user,
			const char *expression,
			double result,
			gint64 created_at,
			gint64 *id,
			GError **error);
GPtrArray *
ms_history_store_list(MsHistoryStore *self,
		      const char *user,
		      gint64 before_id,
		      guint limit,
		      GError **error);
gboolean
ms_history_store_clear(MsHistoryStore *self, const char *user, guint64 *n_deleted, GError **error);

G_END_DECLS

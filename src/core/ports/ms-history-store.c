/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "ms-history-store.h"

/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-history-store-error-quark, ms_history_store_error)
/* clang-format on */
G_DEFINE_INTERFACE(MsHistoryStore, ms_history_store, G_TYPE_OBJECT)

static void
ms_history_store_default_init(MsHistoryStoreInterface *iface)
{
}

/**
 * ms_history_entry_new:
 *
 * Returns: (transfer full): one stored calculation
 */
MsHistoryEntry *
ms_history_entry_new(gint64 id,
		     const char *user,
		     const char *expression,
		     double result,
		     gint64 created_at)
{
	MsHistoryEntry *entry = g_new0(MsHistoryEntry, 1);

	entry->id = id;
	entry->user = g_strdup(user);
	entry->expression = g_strdup(expression);
	entry->result = result;
	entry->created_at = created_at;
	return entry;
}

void
ms_history_entry_free(MsHistoryEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->user);
	g_free(entry->expression);
	g_free(entry);
}

/**
 * ms_history_store_append:
 * @result: any number but NaN; -0 is stored as 0 (SQLite keeps an integral REAL
 *   as an integer, and the client was answered "0" either way)
 * @created_at: microseconds since the epoch
 * @id: (out) (optional): the new entry's id, greater than every id before it
 *
 * Stores one calculation; when this returns %TRUE the entry is committed.
 */
gboolean
ms_history_store_append(MsHistoryStore *self,
			const char *user,
			const char *expression,
			double result,
			gint64 created_at,
			gint64 *id,
			GError **error)
{
	gint64 id_local = 0;

	g_return_val_if_fail(MS_IS_HISTORY_STORE(self), FALSE);
	g_return_val_if_fail(user != NULL && expression != NULL, FALSE);
	/* SQLite binds NaN as NULL and refuses it; the service never computes one */
	g_return_val_if_fail(!isnan(result), FALSE);
	if (!MS_HISTORY_STORE_GET_IFACE(self)
		     ->append(self, user, expression, result, created_at, &id_local, error))
		return FALSE;
	if (id != NULL)
		*id = id_local;
	return TRUE;
}

/**
 * ms_history_store_list:
 * @user: matched exactly (no case folding, no patterns)
 * @before_id: only entries with a smaller id, whether or not an entry with
 *   @before_id still exists; 0 for the newest
 * @limit: at most this many entries; any #guint, so a caller may ask for one more
 *   than a page to learn whether another page follows
 *
 * Returns: (transfer full) (element-type MsHistoryEntry): @user's entries, newest
 * (highest id) first, possibly none, or %NULL with @error set
 */
GPtrArray *
ms_history_store_list(MsHistoryStore *self,
		      const char *user,
		      gint64 before_id,
		      guint limit,
		      GError **error)
{
	g_return_val_if_fail(MS_IS_HISTORY_STORE(self), NULL);
	g_return_val_if_fail(user != NULL, NULL);
	return MS_HISTORY_STORE_GET_IFACE(self)->list(self, user, before_id, limit, error);
}

/**
 * ms_history_store_clear:
 * @n_deleted: (out) (optional): how many entries went
 *
 * Deletes every entry of @user.
 */
gboolean
ms_history_store_clear(MsHistoryStore *self, const char *user, guint64 *n_deleted, GError **error)
{
	guint64 n_local = 0;

	g_return_val_if_fail(MS_IS_HISTORY_STORE(self), FALSE);
	g_return_val_if_fail(user != NULL, FALSE);
	if (!MS_HISTORY_STORE_GET_IFACE(self)->clear(self, user, &n_local, error))
		return FALSE;
	if (n_deleted != NULL)
		*n_deleted = n_local;
	return TRUE;
}

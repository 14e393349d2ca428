/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-fake-history-store.h"

/* the history port in memory, for the service's unit tests; it can be told to fail */
struct _MsFakeHistoryStore {
	GObject parent_instance;
	GPtrArray *entries; /* oldest first */
	gint64 next_id;
	int fail_code; /* -1: succeed */
};

static void
ms_fake_history_store_iface_init(MsHistoryStoreInterface *iface);

G_DEFINE_TYPE_WITH_CODE(MsFakeHistoryStore,
			ms_fake_history_store,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(MS_TYPE_HISTORY_STORE,
					      ms_fake_history_store_iface_init))

static gboolean
check_failure(MsFakeHistoryStore *self, GError **error)
{
	if (self->fail_code < 0)
		return TRUE;
	g_set_error(error, MS_HISTORY_STORE_ERROR, self->fail_code, "the fake was told to fail");
	return FALSE;
}

static gboolean
fake_append(MsHistoryStore *store,
	    const char *user,
	    const char *expression,
	    double result,
	    gint64 created_at,
	    gint64 *id,
	    GError **error)
{
	MsFakeHistoryStore *self = MS_FAKE_HISTORY_STORE(store);

	if (!check_failure(self, error))
		return FALSE;
	*id = self->next_id++;
	/* as the SQLite adapter gives it back: -0 as 0 */
	g_ptr_array_add(self->entries,
			ms_history_entry_new(*id,
					     user,
					     expression,
					     result == 0 ? 0.0 : result,
					     created_at));
	return TRUE;
}

static GPtrArray *
fake_list(MsHistoryStore *store, const char *user, gint64 before_id, guint limit, GError **error)
{
	MsFakeHistoryStore *self = MS_FAKE_HISTORY_STORE(store);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)ms_history_entry_free);

	if (!check_failure(self, error)) {
		g_ptr_array_unref(out);
		return NULL;
	}
	for (guint i = self->entries->len; i > 0 && out->len < limit; i--) {
		MsHistoryEntry *e = g_ptr_array_index(self->entries, i - 1);
		if (g_strcmp0(e->user, user) != 0 || (before_id > 0 && e->id >= before_id))
			continue;
		g_ptr_array_add(out,
				ms_history_entry_new(e->id,
						     e->user,
						     e->expression,
						     e->result,
						     e->created_at));
	}
	return out;
}

static gboolean
fake_clear(MsHistoryStore *store, const char *user, guint64 *n_deleted, GError **error)
{
	MsFakeHistoryStore *self = MS_FAKE_HISTORY_STORE(store);

	if (!check_failure(self, error))
		return FALSE;
	*n_deleted = 0;
	for (guint i = self->entries->len; i > 0; i--) {
		MsHistoryEntry *e = g_ptr_array_index(self->entries, i - 1);
		if (g_strcmp0(e->user, user) == 0) {
			g_ptr_array_remove_index(self->entries, i - 1);
			(*n_deleted)++;
		}
	}
	return TRUE;
}

static void
ms_fake_history_store_iface_init(MsHistoryStoreInterface *iface)
{
	iface->append = fake_append;
	iface->list = fake_list;
	iface->clear = fake_clear;
}

static void
ms_fake_history_store_finalize(GObject *object)
{
	g_ptr_array_unref(MS_FAKE_HISTORY_STORE(object)->entries);
	G_OBJECT_CLASS(ms_fake_history_store_parent_class)->finalize(object);
}

static void
ms_fake_history_store_class_init(MsFakeHistoryStoreClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_fake_history_store_finalize;
}

static void
ms_fake_history_store_init(MsFakeHistoryStore *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)ms_history_entry_free);
	self->next_id = 1;
	self->fail_code = -1;
}

MsHistoryStore *
ms_fake_history_store_new(void)
{
	return g_object_new(MS_TYPE_FAKE_HISTORY_STORE, NULL);
}

/* @code: a #MsHistoryStoreError every later call fails with, or -1 to succeed again */
void
ms_fake_history_store_fail_with(MsFakeHistoryStore *self, int code)
{
	self->fail_code = code;
}

guint
ms_fake_history_store_get_size(MsFakeHistoryStore *self)
{
	return self->entries->len;
}

const MsHistoryEntry *
ms_fake_history_store_get_entry(MsFakeHistoryStore *self, guint index)
{
	return g_ptr_array_index(self->entries, index);
}

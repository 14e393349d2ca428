/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-test-resolver.h"

struct _MsTestResolver {
	GResolver parent;
	GResolver *previous; /* the default before this one */
	GHashTable *answers; /* name → GStrv of addresses; a name absent: it fails */
	GHashTable *hanging; /* names whose lookups never answer */
	GHashTable *lookups; /* name → how many lookups asked for it */
	GPtrArray *pending;  /* GTask of the lookups that hang */
};

G_DEFINE_TYPE(MsTestResolver, ms_test_resolver, G_TYPE_RESOLVER)

static void
lookup_by_name_async(GResolver *resolver,
		     const char *hostname,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data)
{
	MsTestResolver *self = MS_TEST_RESOLVER(resolver);
	g_autoptr(GTask) task = g_task_new(resolver, cancellable, callback, user_data);
	GStrv answer = g_hash_table_lookup(self->answers, hostname);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(self->lookups, hostname));
	GList *addresses = NULL;

	g_hash_table_insert(self->lookups, g_strdup(hostname), GUINT_TO_POINTER(n + 1));
	if (g_hash_table_contains(self->hanging, hostname)) {
		g_ptr_array_add(self->pending, g_steal_pointer(&task));
		return;
	}
	/* a GTask returned before this function returns answers from the main loop */
	if (answer == NULL) {
		g_task_return_new_error(task,
					G_RESOLVER_ERROR,
					G_RESOLVER_ERROR_TEMPORARY_FAILURE,
					"no DNS for %s",
					hostname);
		return;
	}
	for (guint i = 0; answer[i] != NULL; i++)
		addresses = g_list_append(addresses, g_inet_address_new_from_string(answer[i]));
	g_task_return_pointer(task, addresses, (GDestroyNotify)g_resolver_free_addresses);
}

static GList *
lookup_by_name_finish(GResolver *resolver, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static GList *
lookup_by_name(GResolver *resolver, const char *hostname, GCancellable *cancellable, GError **error)
{
	g_error("the gateway looked %s up blocking", hostname);
	return NULL;
}

static void
ms_test_resolver_finalize(GObject *object)
{
	MsTestResolver *self = MS_TEST_RESOLVER(object);

	g_hash_table_unref(self->answers);
	g_hash_table_unref(self->hanging);
	g_hash_table_unref(self->lookups);
	g_ptr_array_unref(self->pending);
	G_OBJECT_CLASS(ms_test_resolver_parent_class)->finalize(object);
}

static void
ms_test_resolver_class_init(MsTestResolverClass *klass)
{
	GResolverClass *resolver_class = G_RESOLVER_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = ms_test_resolver_finalize;
	resolver_class->lookup_by_name = lookup_by_name;
	resolver_class->lookup_by_name_async = lookup_by_name_async;
	resolver_class->lookup_by_name_finish = lookup_by_name_finish;
}

static void
ms_test_resolver_init(MsTestResolver *self)
{
	self->answers =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
	self->hanging = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->lookups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->pending = g_ptr_array_new_with_free_func(g_object_unref);
}

/* Returns: (transfer full): the default resolver until ms_test_resolver_release() */
MsTestResolver *
ms_test_resolver_new(void)
{
	MsTestResolver *self = g_object_new(MS_TYPE_TEST_RESOLVER, NULL);

	self->previous = g_resolver_get_default();
	g_resolver_set_default(G_RESOLVER(self));
	return self;
}

/* @addresses: (nullable): what @name resolves to from now on; %NULL: it fails */
void
ms_test_resolver_set(MsTestResolver *self, const char *name, const char *const *addresses)
{
	g_hash_table_remove(self->hanging, name);
	if (addresses == NULL)
		g_hash_table_remove(self->answers, name);
	else
		g_hash_table_insert(self->answers, g_strdup(name), g_strdupv((GStrv)addresses));
}

/* the lookups of @name from now on never answer */
void
ms_test_resolver_hang(MsTestResolver *self, const char *name)
{
	g_hash_table_add(self->hanging, g_strdup(name));
}

guint
ms_test_resolver_get_lookups(MsTestResolver *self, const char *name)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(self->lookups, name));
}

/* the lookups that hang fail now, the former default is back, and @self is unref'd */
void
ms_test_resolver_release(MsTestResolver *self)
{
	for (guint i = 0; i < self->pending->len; i++)
		g_task_return_new_error(g_ptr_array_index(self->pending, i),
					G_IO_ERROR,
					G_IO_ERROR_CANCELLED,
					"the test ended");
	/* each holds a reference to @self */
	g_ptr_array_set_size(self->pending, 0);
	g_resolver_set_default(self->previous);
	g_clear_object(&self->previous);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_object_unref(self);
}

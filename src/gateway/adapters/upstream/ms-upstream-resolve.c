/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/upstream/ms-upstream-resolve.h"

struct _MsUpstreamResolve {
	char *host;
	guint16 port;
	gint64 interval_usec;
	GMainContext *context; /* where lookups answer: the worker's */
	MsUpstreamResolveFunc func;
	gpointer user_data;
	GCancellable *cancellable; /* of the running lookup, NULL when none runs */
	GSource *timer;            /* until the next lookup, while none runs */
	gboolean answered;         /* a lookup has ended, well or not */
	GPtrArray *addresses;      /* GSocketAddress of the last good lookup, or NULL */
	guint next_address;
	char *error; /* why the last lookup failed, while it left no address */
};

static void
on_lookup(GObject *source, GAsyncResult *result, gpointer user_data);

/* never blocks: the answer comes to the worker's main context */
static void
resolve_lookup(MsUpstreamResolve *self)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();

	self->cancellable = g_cancellable_new();
	/* the answer is dispatched in the thread-default context of this call */
	g_main_context_push_thread_default(self->context);
	g_resolver_lookup_by_name_async(resolver, self->host, self->cancellable, on_lookup, self);
	g_main_context_pop_thread_default(self->context);
}

static gboolean
on_timer(gpointer user_data)
{
	MsUpstreamResolve *self = user_data;

	g_clear_pointer(&self->timer, g_source_unref);
	resolve_lookup(self);
	return G_SOURCE_REMOVE;
}

/* the next lookup in @delay_usec, whether or not requests come meanwhile */
static void
resolve_schedule(MsUpstreamResolve *self, gint64 delay_usec)
{
	self->timer = g_timeout_source_new((guint)(delay_usec / 1000));
	g_source_set_callback(self->timer, on_timer, self, NULL);
	g_source_attach(self->timer, self->context);
}

MsUpstreamResolve *
ms_upstream_resolve_new(const char *host,
			guint16 port,
			guint interval_s,
			GMainContext *context,
			MsUpstreamResolveFunc func,
			gpointer user_data)
{
	MsUpstreamResolve *self = g_new0(MsUpstreamResolve, 1);

	self->host = g_strdup(host);
	self->port = port;
	self->interval_usec = (gint64)MAX(interval_s, 1) * G_USEC_PER_SEC;
	self->context = g_main_context_ref(context);
	self->func = func;
	self->user_data = user_data;
	resolve_lookup(self);
	return self;
}

void
ms_upstream_resolve_free(MsUpstreamResolve *self)
{
	if (self == NULL)
		return;
	if (self->timer != NULL) {
		g_source_destroy(self->timer);
		g_source_unref(self->timer);
	}
	/* the lookup's callback sees the cancellation and touches nothing */
	if (self->cancellable != NULL) {
		g_cancellable_cancel(self->cancellable);
		g_object_unref(self->cancellable);
	}
	g_clear_pointer(&self->addresses, g_ptr_array_unref);
	g_main_context_unref(self->context);
	g_free(self->error);
	g_free(self->host);
	g_free(self);
}

/* as sets: the resolver may order the same addresses differently each time */
static gboolean
same_addresses(GPtrArray *a, GPtrArray *b)
{
	if (a == NULL || b == NULL || a->len != b->len)
		return a == b;
	for (guint i = 0; i < a->len; i++) {
		GInetAddress *address = g_inet_socket_address_get_address(g_ptr_array_index(a, i));
		gboolean found = FALSE;

		for (guint j = 0; j < b->len && !found; j++)
			found = g_inet_address_equal(
				address,
				g_inet_socket_address_get_address(g_ptr_array_index(b, j)));
		if (!found)
			return FALSE;
	}
	return TRUE;
}

static void
on_lookup(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	GList *found = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	MsUpstreamResolve *self = user_data;
	g_autoptr(GPtrArray) addresses = NULL;
	gboolean first;
	gboolean changed = FALSE;

	/* freed while the lookup ran: self is gone */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	g_clear_object(&self->cancellable);
	first = !self->answered;
	self->answered = TRUE;
	if (found == NULL) {
		/* the last good addresses stay; with none, the next request asks again soon */
		g_free(self->error);
		self->error = g_strdup(error->message);
		resolve_schedule(self,
				 self->addresses == NULL ? MS_UPSTREAM_RESOLVE_RETRY_USEC
							 : self->interval_usec);
		self->func(self->user_data, first, FALSE);
		return;
	}
	addresses = g_ptr_array_new_with_free_func(g_object_unref);
	for (GList *l = found; l != NULL; l = l->next)
		g_ptr_array_add(addresses, g_inet_socket_address_new(l->data, self->port));
	g_resolver_free_addresses(found);
	g_clear_pointer(&self->error, g_free);
	if (!same_addresses(self->addresses, addresses)) {
		changed = self->addresses != NULL;
		g_clear_pointer(&self->addresses, g_ptr_array_unref);
		self->addresses = g_steal_pointer(&addresses);
		self->next_address = 0;
	}
	resolve_schedule(self, self->interval_usec);
	self->func(self->user_data, first, changed);
}

/* Returns: %TRUE once a lookup has ended, well or not */
gboolean
ms_upstream_resolve_is_answered(MsUpstreamResolve *self)
{
	return self->answered;
}

/**
 * ms_upstream_resolve_next_address:
 *
 * Every address of the name, in turn: a name with several (a headless
 * Service, round-robin DNS) spreads the connections over them.
 *
 * Returns: (transfer full): the address of the next connection, %NULL with
 *   @error when no lookup has given one
 */
GSocketAddress *
ms_upstream_resolve_next_address(MsUpstreamResolve *self, GError **error)
{
	GSocketAddress *address;

	if (self->addresses == NULL) {
		g_set_error(error,
			    G_RESOLVER_ERROR,
			    G_RESOLVER_ERROR_NOT_FOUND,
			    "%s",
			    self->error != NULL ? self->error : "no address yet");
		return NULL;
	}
	address = g_ptr_array_index(self->addresses, self->next_address);
	self->next_address = (self->next_address + 1) % self->addresses->len;
	return g_object_ref(address);
}

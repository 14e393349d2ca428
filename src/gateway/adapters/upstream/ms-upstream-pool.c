/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/upstream/ms-upstream-conn.h"

#include <gio/gunixsocketaddress.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/*
 * Idle keep-alive connections per upstream address. A connection goes back to
 * the pool after a complete response and leaves it after
 * MS_UPSTREAM_IDLE_TIMEOUT_USEC, so pooled connections never keep a
 * socket-activated service from its own (longer) idle exit.
 */

#define MS_UPSTREAM_MAX_IDLE 256

typedef struct {
	char *key; /* the route's upstream string */
	GSocketAddress *address;
	GQueue idle; /* MsUpstreamConn, most recently used first */
	MsUpstreamPool *pool;
} MsUpstream;

struct _MsUpstreamPool {
	GMainContext *context;
	MsGatewayEvents *events; /* where the connections are watched: a front's, or own_events */
	MsGatewayEvents *own_events; /* made on first use when no front gave its own */
	GHashTable *upstreams;       /* key → MsUpstream */
	GHashTable *conns;           /* every open MsUpstreamConn, for teardown */
};

static void
ms_upstream_free(MsUpstream *upstream)
{
	g_free(upstream->key);
	g_clear_object(&upstream->address);
	g_free(upstream);
}

MsUpstreamPool *
ms_upstream_pool_new(GMainContext *context)
{
	MsUpstreamPool *self = g_new0(MsUpstreamPool, 1);

	self->context =
		context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	self->upstreams = g_hash_table_new_full(g_str_hash,
						g_str_equal,
						NULL,
						(GDestroyNotify)ms_upstream_free);
	self->conns = g_hash_table_new(NULL, NULL);
	return self;
}

static void
pool_close_all(MsUpstreamPool *self)
{
	GHashTableIter iter;
	gpointer conn;

	/* closing removes from the table: take a snapshot first */
	while (g_hash_table_size(self->conns) > 0) {
		g_hash_table_iter_init(&iter, self->conns);
		g_hash_table_iter_next(&iter, &conn, NULL);
		ms_upstream_conn_close(conn);
	}
}

void
ms_upstream_pool_free(MsUpstreamPool *self)
{
	pool_close_all(self);
	g_clear_pointer(&self->own_events, ms_gateway_events_free);
	g_hash_table_unref(self->conns);
	g_hash_table_unref(self->upstreams);
	g_main_context_unref(self->context);
	g_free(self);
}

/**
 * ms_upstream_pool_set_events:
 * @events: (nullable): the events of the worker's client connections, which
 *   the pool's connections then share; %NULL before they are freed
 *
 * With one epoll set for both sides, a wakeup polls one descriptor, and an
 * idle pooled connection costs the requests of others nothing. The pool's
 * connections are closed first: only when no exchange is under way (a front
 * made or freed).
 */
void
ms_upstream_pool_set_events(MsUpstreamPool *self, struct _MsGatewayEvents *events)
{
	pool_close_all(self);
	g_clear_pointer(&self->own_events, ms_gateway_events_free);
	self->events = events;
}

/* a pool used with no front (tests, the service alone) watches its connections itself */
static MsGatewayEvents *
pool_get_events(MsUpstreamPool *self)
{
	if (self->events == NULL) {
		self->own_events = ms_gateway_events_new(self->context);
		self->events = self->own_events;
	}
	return self->events;
}

static GSocketAddress *
route_address(const MsRoute *route, GError **error)
{
	g_autoptr(GResolver) resolver = NULL;
	g_autolist(GInetAddress) addresses = NULL;

	if (route->upstream_kind == MS_UPSTREAM_KIND_UNIX)
		return g_unix_socket_address_new(route->upstream_path);
	if (route->upstream_kind != MS_UPSTREAM_KIND_HTTP) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_NOT_SUPPORTED,
			    "route %s has no single upstream",
			    route->name);
		return NULL;
	}
	if (g_hostname_is_ip_address(route->upstream_host))
		return g_inet_socket_address_new_from_string(route->upstream_host,
							     route->upstream_port);
	/* as --listen=tcp:localhost:PORT binds, localhost is 127.0.0.1 */
	if (g_ascii_strcasecmp(route->upstream_host, "localhost") == 0)
		return g_inet_socket_address_new_from_string("127.0.0.1", route->upstream_port);
	/* a name is resolved once per pool, on first use (blocking, but only once) */
	resolver = g_resolver_get_default();
	addresses = g_resolver_lookup_by_name(resolver, route->upstream_host, NULL, error);
	if (addresses == NULL)
		return NULL;
	return g_inet_socket_address_new(addresses->data, route->upstream_port);
}

static MsUpstream *
pool_get_upstream(MsUpstreamPool *self, const MsRoute *route, GError **error)
{
	MsUpstream *upstream = g_hash_table_lookup(self->upstreams, route->upstream);
	GSocketAddress *address;

	if (upstream != NULL)
		return upstream;
	address = route_address(route, error);
	if (address == NULL)
		return NULL;
	upstream = g_new0(MsUpstream, 1);
	upstream->key = g_strdup(route->upstream);
	upstream->address = address;
	upstream->pool = self;
	g_queue_init(&upstream->idle);
	g_hash_table_insert(self->upstreams, upstream->key, upstream);
	return upstream;
}

static GSocket *
open_socket(GSocketAddress *address, gboolean *connecting, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) local = NULL;

	socket = g_socket_new(g_socket_address_get_family(address),
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      error);
	if (socket == NULL)
		return NULL;
	g_socket_set_blocking(socket, FALSE);
	if (g_socket_address_get_family(address) != G_SOCKET_FAMILY_UNIX)
		g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	*connecting = FALSE;
	if (!g_socket_connect(socket, address, NULL, &local)) {
		if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PENDING)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
		*connecting = TRUE;
	}
	return g_steal_pointer(&socket);
}

/* a connection that finished a response cleanly: kept idle, unless enough are */
static void
upstream_conn_reusable(gpointer keeper, MsUpstreamConn *conn)
{
	MsUpstream *upstream = keeper;
	GList *link = ms_upstream_conn_get_link(conn);

	if (upstream->idle.length >= MS_UPSTREAM_MAX_IDLE) {
		ms_upstream_conn_close(conn);
		return;
	}
	link->data = conn;
	g_queue_push_head_link(&upstream->idle, link);
}

static void
upstream_conn_closing(gpointer keeper, MsUpstreamConn *conn)
{
	MsUpstream *upstream = keeper;
	GList *link = ms_upstream_conn_get_link(conn);

	if (link->data != NULL) {
		g_queue_unlink(&upstream->idle, link);
		link->data = NULL;
	}
	g_hash_table_remove(upstream->pool->conns, conn);
}

static const MsUpstreamConnKeeper upstream_keeper = {
	.reusable = upstream_conn_reusable,
	.closing = upstream_conn_closing,
};

/**
 * ms_upstream_pool_acquire:
 * @fresh: skip pooled connections (a retry after a broken one)
 *
 * Returns: (transfer none): a connection, idle from the pool or newly connected
 *   (possibly still connecting); %NULL with @error when the upstream refused
 */
MsUpstreamConn *
ms_upstream_pool_acquire(MsUpstreamPool *self, const MsRoute *route, gboolean fresh, GError **error)
{
	MsUpstream *upstream = pool_get_upstream(self, route, error);
	GSocket *socket;
	gboolean connecting = FALSE;
	MsUpstreamConn *conn;

	if (upstream == NULL)
		return NULL;
	if (!fresh && upstream->idle.head != NULL) {
		GList *link = upstream->idle.head;
		conn = link->data;
		g_queue_unlink(&upstream->idle, link);
		link->data = NULL;
		return conn;
	}
	socket = open_socket(upstream->address, &connecting, error);
	if (socket == NULL) {
		g_prefix_error(error, "%s: ", route->upstream);
		return NULL;
	}
	conn = ms_upstream_conn_new(socket,
				    connecting,
				    pool_get_events(self),
				    &upstream_keeper,
				    upstream);
	g_object_unref(socket);
	g_hash_table_add(self->conns, conn);
	return conn;
}

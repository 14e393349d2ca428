/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/upstream/ms-upstream-conn.h"
#include "gateway/adapters/upstream/ms-upstream-resolve.h"

#include <gio/gunixsocketaddress.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/*
 * Idle keep-alive connections per upstream server, and which server of a
 * route's replicas takes an exchange. A connection goes back to the pool after
 * a complete response and leaves it after MS_UPSTREAM_IDLE_TIMEOUT_USEC, so
 * pooled connections never keep a socket-activated service from its own
 * (longer) idle exit. A request that cannot have a connection yet (a name not
 * looked up, a full backlog, every one of the route's max_upstream_connections
 * busy) waits in its server's queue, first come first served.
 */

/*
 * idle connections kept per server and worker: as many as a busy worker has
 * requests upstream at once, or a burst ends in closing and reconnecting
 */
#define MS_UPSTREAM_MAX_IDLE 1024

/*
 * A Unix socket whose listen backlog is full refuses a connect() at once
 * (EAGAIN), and a busy or just-started service is all it takes: a burst of
 * clients would be answered 502. The requests wait instead, as for a name's first
 * lookup and within their route's timeout, and connect again after this pause.
 */
#define MS_UPSTREAM_BACKLOG_RETRY_MS 2

typedef struct {
	char *key;                  /* the server's text */
	GSocketAddress *address;    /* a path or a numeric address */
	MsUpstreamResolve *resolve; /* or a host name's addresses */
	guint generation;           /* the addresses' version: bumped when a name's change */
	GQueue idle;                /* MsUpstreamConn, most recently used first */
	GQueue waiters;             /* MsUpstreamWait: for a name's first lookup, room
				       in a full backlog or a connection to come free */
	gboolean backlog_full;      /* a Unix socket's: connect() said EAGAIN */
	MsGatewayWatch turn;        /* the waiters' next turn: a pause after a full
				       backlog, or the next dispatch after a
				       connection came free */
	gboolean turn_due;          /* and it is coming */
	guint n_conns;              /* open, idle or busy */
	guint max_conns;            /* the asking route's max_upstream_connections */
	gboolean waking;            /* the waiters are acquiring, in turn */
	guint ref_count;            /* the pool's, and the events' while the turn is due */
	MsUpstreamPool *pool;       /* %NULL once the pool let it go */
} MsUpstream;

/*
 * A request waiting for its server. Its deadline is a watch of the worker's events,
 * as the connections' are: with a thousand requests waiting, a GSource each was
 * prepared and checked on every wakeup.
 */
struct _MsUpstreamWait {
	MsGatewayWatch deadline;
	GList link;           /* in its server's waiters while it waits */
	MsUpstream *upstream; /* %NULL once the wait ended */
	MsUpstreamReadyFunc ready;
	gpointer user_data;
	guint ref_count; /* the waiter's until it ends, and the events' while a dispatch is due */
};

/* a route's servers in this pool, by the route's name and its upstream list */
typedef struct {
	char *route;
	char *upstream;
	MsUpstream **servers;         /* the pool's, one per server of the route */
	MsUpstreamBalancer *balancer; /* with replicas only */
} MsUpstreamGroup;

/* where a route of the running configuration finds its group: no hashing per request */
typedef struct {
	guint serial; /* the route's, 0 for none yet */
	MsUpstreamGroup *group;
} GroupSlot;

struct _MsUpstreamPool {
	GMainContext *context;
	MsUpstreamHealthTable *health; /* the gateway's, shared by every worker */
	MsGatewayEvents *events; /* where the connections are watched: a front's, or own_events */
	MsGatewayEvents *own_events; /* made on first use when no front gave its own */
	GHashTable *upstreams;       /* server text → MsUpstream */
	GHashTable *groups;          /* MsUpstreamGroup → itself */
	GArray *slots;               /* GroupSlot, by route index */
	GHashTable *conns;           /* every open MsUpstreamConn → its addresses' generation */
};

static void
wait_unref(MsUpstreamWait *wait)
{
	if (--wait->ref_count == 0)
		g_free(wait);
}

/* out of its server's queue and its deadline taken back; the waiter is not called */
static void
wait_leave(MsUpstreamWait *wait)
{
	g_queue_unlink(&wait->upstream->waiters, &wait->link);
	ms_gateway_watch_remove(&wait->deadline);
	wait->upstream = NULL;
}

/* the wait is over: its waiter is told, once, and may wait again from inside @ready */
static void
wait_end(MsUpstreamWait *wait, gboolean timed_out)
{
	wait_leave(wait);
	wait->ready(wait->user_data, timed_out);
	wait_unref(wait);
}

static void
on_wait_deadline(MsGatewayWatch *watch, GIOCondition revents)
{
	MsUpstreamWait *wait = (MsUpstreamWait *)watch;

	if (wait->upstream != NULL)
		wait_end(wait, TRUE);
}

static void
wait_ref_watch(MsGatewayWatch *watch)
{
	((MsUpstreamWait *)watch)->ref_count++;
}

static void
wait_unref_watch(MsGatewayWatch *watch)
{
	wait_unref((MsUpstreamWait *)watch);
}

static const MsGatewayWatchFuncs wait_watch_funcs = {
	.dispatch = on_wait_deadline,
	.ref = wait_ref_watch,
	.unref = wait_unref_watch,
};

static void
upstream_unref(MsUpstream *upstream)
{
	if (--upstream->ref_count > 0)
		return;
	g_free(upstream->key);
	g_clear_object(&upstream->address);
	g_free(upstream);
}

/* the waiters' next turn is not coming: before the events that watch it go */
static void
upstream_drop_turn(MsUpstream *upstream)
{
	ms_gateway_watch_remove(&upstream->turn);
	upstream->turn_due = FALSE;
}

/* the pool lets @upstream go: its waiters (none while a request runs) are dropped */
static void
upstream_release(MsUpstream *upstream)
{
	GList *link;

	while ((link = upstream->waiters.head) != NULL) {
		MsUpstreamWait *wait = link->data;

		wait_leave(wait);
		wait_unref(wait);
	}
	upstream_drop_turn(upstream);
	g_clear_pointer(&upstream->resolve, ms_upstream_resolve_free);
	upstream->pool = NULL;
	upstream_unref(upstream);
}

static guint
group_hash(gconstpointer key)
{
	const MsUpstreamGroup *group = key;

	return g_str_hash(group->route) * 31 + g_str_hash(group->upstream);
}

static gboolean
group_equal(gconstpointer a, gconstpointer b)
{
	const MsUpstreamGroup *x = a;
	const MsUpstreamGroup *y = b;

	return g_str_equal(x->route, y->route) && g_str_equal(x->upstream, y->upstream);
}

static void
group_free(MsUpstreamGroup *group)
{
	ms_upstream_balancer_free(group->balancer);
	g_free(group->servers);
	g_free(group->route);
	g_free(group->upstream);
	g_free(group);
}

/**
 * ms_upstream_pool_new:
 * @health: the servers' passive health, shared by the pools of all workers
 *   and outliving them
 */
MsUpstreamPool *
ms_upstream_pool_new(GMainContext *context, MsUpstreamHealthTable *health)
{
	MsUpstreamPool *self = g_new0(MsUpstreamPool, 1);

	self->context =
		context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	self->health = health;
	self->upstreams = g_hash_table_new_full(g_str_hash,
						g_str_equal,
						NULL,
						(GDestroyNotify)upstream_release);
	self->groups =
		g_hash_table_new_full(group_hash, group_equal, (GDestroyNotify)group_free, NULL);
	self->slots = g_array_new(FALSE, TRUE, sizeof(GroupSlot));
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
	g_hash_table_unref(self->conns);
	g_array_unref(self->slots);
	g_hash_table_unref(self->groups);
	g_hash_table_unref(self->upstreams);
	g_clear_pointer(&self->own_events, ms_gateway_events_free);
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
	GHashTableIter iter;
	gpointer value;

	pool_close_all(self);
	/* the turns were watched by the events that go; the next one is watched by these */
	g_hash_table_iter_init(&iter, self->upstreams);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		upstream_drop_turn(value);
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

static void
upstream_wake_waiters(MsUpstream *upstream);

/* a name's lookup ended */
static void
on_resolved(gpointer user_data, gboolean first, gboolean changed)
{
	MsUpstream *upstream = user_data;

	/* connections to the old addresses are not reused: new ones go to the new */
	if (changed) {
		upstream->generation++;
		while (upstream->idle.head != NULL)
			ms_upstream_conn_close(upstream->idle.head->data);
	}
	if (!first)
		return;
	upstream_wake_waiters(upstream);
}

static gboolean
server_address(MsUpstream *upstream, const MsRoute *route, const MsUpstreamServer *server)
{
	if (server->kind == MS_UPSTREAM_KIND_UNIX) {
		upstream->address = g_unix_socket_address_new(server->path);
	} else if (g_hostname_is_ip_address(server->host)) {
		upstream->address =
			g_inet_socket_address_new_from_string(server->host, server->port);
	} else if (g_ascii_strcasecmp(server->host, "localhost") == 0) {
		/* as --listen=tcp:localhost:PORT binds, localhost is 127.0.0.1 */
		upstream->address =
			g_inet_socket_address_new_from_string("127.0.0.1", server->port);
	} else {
		upstream->resolve = ms_upstream_resolve_new(server->host,
							    server->port,
							    route->resolve_interval_s,
							    upstream->pool->context,
							    on_resolved,
							    upstream);
		return TRUE;
	}
	return upstream->address != NULL;
}

static MsUpstream *
pool_get_upstream(MsUpstreamPool *self, const MsRoute *route, const MsUpstreamServer *server)
{
	MsUpstream *upstream = g_hash_table_lookup(self->upstreams, server->text);

	if (upstream != NULL)
		return upstream;
	upstream = g_new0(MsUpstream, 1);
	upstream->key = g_strdup(server->text);
	upstream->ref_count = 1;
	upstream->pool = self;
	g_queue_init(&upstream->idle);
	g_queue_init(&upstream->waiters);
	/* the configuration checked the address: it parses */
	if (!server_address(upstream, route, server))
		g_warn_if_reached();
	g_hash_table_insert(self->upstreams, upstream->key, upstream);
	return upstream;
}

static MsUpstreamGroup *
group_new(MsUpstreamPool *self, const MsRoute *route)
{
	MsUpstreamGroup *group = g_new0(MsUpstreamGroup, 1);

	group->route = g_strdup(route->name);
	group->upstream = g_strdup(route->upstream);
	group->servers = g_new(MsUpstream *, route->n_servers);
	for (guint i = 0; i < route->n_servers; i++)
		group->servers[i] = pool_get_upstream(self, route, &route->servers[i]);
	if (route->n_servers > 1) {
		g_autofree MsUpstreamHealth **health = g_new(MsUpstreamHealth *, route->n_servers);

		for (guint i = 0; i < route->n_servers; i++)
			health[i] = ms_upstream_health_table_get(self->health,
								 route->name,
								 route->servers[i].text);
		group->balancer = ms_upstream_balancer_new(route->n_servers, health);
	}
	return group;
}

/*
 * The route's group: found by its index, and by its name and list when the
 * slot holds another load's route, so a reload that keeps a route keeps its
 * balancer (and the exchanges picked before it settle where they were picked).
 */
static MsUpstreamGroup *
pool_get_group(MsUpstreamPool *self, const MsRoute *route)
{
	MsUpstreamGroup key = { .route = route->name, .upstream = route->upstream };
	MsUpstreamGroup *group;
	GroupSlot *slot;

	if (route->index < self->slots->len) {
		slot = &g_array_index(self->slots, GroupSlot, route->index);
		if (slot->serial == route->serial)
			return slot->group;
	}
	group = g_hash_table_lookup(self->groups, &key);
	if (group == NULL) {
		group = group_new(self, route);
		g_hash_table_add(self->groups, group);
	}
	if (route->index >= self->slots->len)
		g_array_set_size(self->slots, route->index + 1);
	slot = &g_array_index(self->slots, GroupSlot, route->index);
	slot->serial = route->serial;
	slot->group = group;
	return group;
}

/**
 * ms_upstream_pool_choose:
 * @exclude: a server of @route not to choose (the one that just failed), or -1
 *
 * Which of @route's servers takes the next exchange (ms-upstream-balancer.c
 * says how). Each choice is settled once, with ms_upstream_pool_settle().
 *
 * Returns: an index into @route->servers; -1 when only @exclude is left
 */
gint
ms_upstream_pool_choose(MsUpstreamPool *self, const MsRoute *route, gint exclude)
{
	if (route->n_servers == 1)
		return exclude == 0 ? -1 : 0;
	return ms_upstream_balancer_pick(pool_get_group(self, route)->balancer,
					 g_get_monotonic_time(),
					 exclude);
}

/**
 * ms_upstream_pool_settle:
 * @server: what ms_upstream_pool_choose() returned
 *
 * How the exchange with @server ended, for the balancing and the server's
 * health. A route with one server has neither: nothing is kept.
 */
void
ms_upstream_pool_settle(MsUpstreamPool *self,
			const MsRoute *route,
			guint server,
			MsUpstreamOutcome outcome)
{
	if (route->n_servers == 1)
		return;
	ms_upstream_balancer_settle(pool_get_group(self, route)->balancer,
				    server,
				    outcome,
				    g_get_monotonic_time());
}

/**
 * ms_upstream_pool_wait:
 * @deadline: monotonic µs; when it passes first, @ready is told so; -1 for
 *   none (the caller bounds the whole exchange itself)
 * @ready: called once, when the first lookup of the server's name has ended,
 *   when a full backlog may have room again, when a connection came free, or at
 *   @deadline
 *
 * After ms_upstream_pool_acquire() failed with %G_IO_ERROR_PENDING; acquire
 * again when @ready is called in time. ms_upstream_pool_cancel_wait() takes it
 * back before.
 *
 * Returns: (transfer none): the wait, valid until @ready is called or it is cancelled
 */
MsUpstreamWait *
ms_upstream_pool_wait(MsUpstreamPool *self,
		      const MsRoute *route,
		      guint server,
		      gint64 deadline,
		      MsUpstreamReadyFunc ready,
		      gpointer user_data)
{
	MsUpstream *upstream = pool_get_group(self, route)->servers[server];
	MsUpstreamWait *wait = g_new0(MsUpstreamWait, 1);

	wait->upstream = upstream;
	wait->ready = ready;
	wait->user_data = user_data;
	wait->ref_count = 1;
	wait->link.data = wait;
	g_queue_push_tail_link(&upstream->waiters, &wait->link);
	ms_gateway_watch_add_timer(&wait->deadline, pool_get_events(self), &wait_watch_funcs);
	ms_gateway_watch_arm(&wait->deadline, deadline);
	return wait;
}

/* the waiter went away (its client did): @wait is not called and is gone */
void
ms_upstream_pool_cancel_wait(MsUpstreamPool *self, MsUpstreamWait *wait)
{
	if (wait->upstream == NULL)
		return;
	wait_leave(wait);
	wait_unref(wait);
}

/* at max_upstream_connections: a new exchange waits for a connection to come free */
static gboolean
upstream_at_limit(MsUpstream *upstream)
{
	return upstream->max_conns != 0 && upstream->n_conns >= upstream->max_conns;
}

/* whether a new exchange with @upstream must wait: no idle connection, and no room */
static gboolean
upstream_is_full(MsUpstream *upstream)
{
	return upstream->backlog_full ||
	       (upstream->idle.head == NULL && upstream_at_limit(upstream));
}

/* the waiters acquire in turn, until one is told to wait again */
static void
upstream_wake_waiters(MsUpstream *upstream)
{
	upstream->waking = TRUE;
	/* a waiter's failure may cancel others of the queue (an aggregation's parts) */
	for (guint n = upstream->waiters.length;
	     n > 0 && upstream->waiters.head != NULL && !upstream_is_full(upstream);
	     n--)
		wait_end(upstream->waiters.head->data, FALSE);
	upstream->waking = FALSE;
}

static MsUpstream *
upstream_of_turn(MsGatewayWatch *turn)
{
	return (MsUpstream *)((char *)turn - G_STRUCT_OFFSET(MsUpstream, turn));
}

static void
on_turn(MsGatewayWatch *watch, GIOCondition revents)
{
	MsUpstream *upstream = upstream_of_turn(watch);

	upstream->turn_due = FALSE;
	upstream->backlog_full = FALSE;
	upstream_wake_waiters(upstream);
}

static void
turn_ref(MsGatewayWatch *watch)
{
	upstream_of_turn(watch)->ref_count++;
}

static void
turn_unref(MsGatewayWatch *watch)
{
	upstream_unref(upstream_of_turn(watch));
}

static const MsGatewayWatchFuncs turn_funcs = {
	.dispatch = on_turn,
	.ref = turn_ref,
	.unref = turn_unref,
};

/* the waiters' next turn, after @delay_ms; one already coming stays */
static void
upstream_wake_later(MsUpstream *upstream, guint delay_ms)
{
	if (upstream->turn_due)
		return;
	upstream->turn_due = TRUE;
	if (upstream->turn.events == NULL)
		ms_gateway_watch_add_timer(&upstream->turn,
					   pool_get_events(upstream->pool),
					   &turn_funcs);
	if (delay_ms > 0)
		ms_gateway_watch_arm(&upstream->turn,
				     g_get_monotonic_time() + (gint64)delay_ms * 1000);
	else
		ms_gateway_watch_wake(&upstream->turn);
}

/*
 * A connection came free (idle, or closed) while requests wait for one: they are
 * woken from the loop, not from inside the exchange that just ended
 */
static void
upstream_room_made(MsUpstream *upstream)
{
	if (upstream->waiters.head != NULL && !upstream->backlog_full)
		upstream_wake_later(upstream, 0);
}

static void
upstream_wait_for_room(MsUpstream *upstream, GError **error)
{
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_PENDING,
		    "%s: every connection is busy, waiting for one",
		    upstream->key);
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

	/* a name's addresses changed while it was busy: it goes to an old one */
	if (upstream->idle.length >= MS_UPSTREAM_MAX_IDLE ||
	    (upstream->generation != 0 &&
	     GPOINTER_TO_UINT(g_hash_table_lookup(upstream->pool->conns, conn)) !=
		     upstream->generation)) {
		ms_upstream_conn_close(conn);
		return;
	}
	link->data = conn;
	g_queue_push_head_link(&upstream->idle, link);
	upstream_room_made(upstream);
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
	upstream->n_conns--;
	upstream_room_made(upstream);
}

static const MsUpstreamConnKeeper upstream_keeper = {
	.reusable = upstream_conn_reusable,
	.closing = upstream_conn_closing,
};

/*
 * connect() said EAGAIN: after a pause the waiters connect in turn, until the
 * backlog is full again; the ones not woken keep their place for the next try
 */
static void
upstream_backlog_full(MsUpstream *upstream, GError **error)
{
	upstream->backlog_full = TRUE;
	upstream_wake_later(upstream, MS_UPSTREAM_BACKLOG_RETRY_MS);
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_PENDING,
		    "%s: its backlog is full, waiting for room",
		    upstream->key);
}

/**
 * ms_upstream_pool_describe_wait:
 *
 * Returns: what a request told to wait for @server waits for, for the message of
 *   a wait that timed out: a name's first lookup, room in a Unix socket's
 *   backlog, or one of the route's max_upstream_connections
 */
const char *
ms_upstream_pool_describe_wait(MsUpstreamPool *self, const MsRoute *route, guint server)
{
	MsUpstream *upstream = pool_get_group(self, route)->servers[server];

	if (upstream->backlog_full)
		return "waiting for room in the upstream's backlog";
	if (upstream_at_limit(upstream))
		return "waiting for one of its max_upstream_connections to come free";
	return "looking the name up";
}

/* where a new connection to @upstream goes: its address, or a name's next one */
static GSocketAddress *
upstream_next_address(MsUpstream *upstream, GError **error)
{
	if (upstream->address != NULL)
		return g_object_ref(upstream->address);
	if (!ms_upstream_resolve_is_answered(upstream->resolve)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PENDING, "looking the name up");
		return NULL;
	}
	return ms_upstream_resolve_next_address(upstream->resolve, error);
}

/**
 * ms_upstream_pool_acquire:
 * @server: an index into @route->servers, from ms_upstream_pool_choose()
 * @fresh: skip pooled connections (a retry after a broken one)
 *
 * Returns: (transfer none): a connection, idle from the pool or newly connected
 *   (possibly still connecting); %NULL with @error when the server refused, or
 *   with %G_IO_ERROR_PENDING while its name is looked up for the first time,
 *   while its Unix socket's backlog is full, or while the route's
 *   max_upstream_connections to it are all busy (ms_upstream_pool_wait())
 */
MsUpstreamConn *
ms_upstream_pool_acquire(MsUpstreamPool *self,
			 const MsRoute *route,
			 guint server,
			 gboolean fresh,
			 GError **error)
{
	MsUpstream *upstream = pool_get_group(self, route)->servers[server];
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) local = NULL;
	GSocket *socket;
	gboolean connecting = FALSE;
	MsUpstreamConn *conn;

	/* a server several routes share takes the limit of the route that asks */
	upstream->max_conns = route->max_upstream_connections;
	/* first come, first served: not ahead of those already waiting */
	if (upstream->turn_due && !upstream->waking) {
		upstream_wait_for_room(upstream, error);
		return NULL;
	}
	if (!fresh && upstream->idle.head != NULL) {
		GList *link = upstream->idle.head;
		conn = link->data;
		g_queue_unlink(&upstream->idle, link);
		link->data = NULL;
		return conn;
	}
	/* behind those already waiting for room: no connect() that would only fail */
	if (upstream->backlog_full) {
		upstream_backlog_full(upstream, error);
		return NULL;
	}
	if (upstream_at_limit(upstream)) {
		upstream_wait_for_room(upstream, error);
		return NULL;
	}
	address = upstream_next_address(upstream, error);
	if (address == NULL) {
		g_prefix_error(error, "%s: ", upstream->key);
		return NULL;
	}
	socket = open_socket(address, &connecting, &local);
	if (socket == NULL && g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
	    G_IS_UNIX_SOCKET_ADDRESS(address)) {
		upstream_backlog_full(upstream, error);
		return NULL;
	}
	if (socket == NULL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", upstream->key);
		return NULL;
	}
	conn = ms_upstream_conn_new(socket,
				    connecting,
				    pool_get_events(self),
				    &upstream_keeper,
				    upstream);
	g_object_unref(socket);
	g_hash_table_insert(self->conns, conn, GUINT_TO_POINTER(upstream->generation));
	upstream->n_conns++;
	return conn;
}

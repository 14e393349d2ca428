/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/front/ms-gateway-front.h"

#include "gateway/adapters/front/ms-gateway-front-conn.h"
#include "gateway/adapters/events/ms-gateway-events.h"
#include "gateway/adapters/front/ms-gateway-front-listen.h"
#include "gateway/adapters/front/ms-gateway-front-output.h"
#include "gateway/service/ms-gateway-worker.h"

/*
 * The top of the front: ms-gateway-front.c → ms-gateway-front-listen.c →
 * ms-gateway-front-conn.c → adapters/events/ms-gateway-events.c and
 * ms-gateway-front-output.c, each file calling only the ones after it. This
 * one owns a worker's listeners and connections and drains them on stop; the
 * listeners hand it what they accept, and its connections tell it when they
 * close, through the callbacks it gives them. It also owns what the
 * connections share so that idle ones hold little: the events that watch
 * them, the read buffer, and the spare output buffers and header tables that
 * a request takes and gives back.
 *
 * The connections are counted once, by the slots they hold in the front's
 * own limits (within the gateway's shared ones, when it has them): a slot is
 * taken before accept() and released when the connection's socket is closed,
 * whether it served requests, was cut mid-request or was refused.
 */

struct _MsGatewayFront {
	MsGatewayFrontConnHost host; /* what every connection is given */
	GMainContext *context;
	GHashTable *connections; /* MsGatewayFrontConn, each holding a reference */
	GPtrArray *listeners;    /* MsGatewayFrontListener */
	MsGatewayLimits *limits; /* this front's: counts its connections */
	gboolean stopping;
	GSourceFunc on_empty;
	gpointer on_empty_data;
};

static void
front_maybe_empty(MsGatewayFront *self)
{
	GSourceFunc on_empty = self->on_empty;

	if (!self->stopping || on_empty == NULL || g_hash_table_size(self->connections) > 0)
		return;
	self->on_empty = NULL;
	on_empty(self->on_empty_data);
}

static void
front_conn_closed(MsGatewayFrontConn *conn, gpointer data)
{
	MsGatewayFront *self = data;

	/* the table's reference may be the last one */
	g_hash_table_remove(self->connections, conn);
	front_maybe_empty(self);
}

static void
front_take(MsGatewayFront *self, GSocket *client, char *remote, MsGatewayLimitsSlot *slot)
{
	MsGatewayFrontConn *conn = ms_gateway_front_conn_new(&self->host, client, remote, slot);

	g_hash_table_add(self->connections, conn);
	if (self->stopping)
		ms_gateway_front_conn_close(conn, FALSE);
}

static void
front_accepted(GSocket *client, char *remote, MsGatewayLimitsSlot *slot, gpointer data)
{
	front_take(data, client, remote, slot);
}

/**
 * ms_gateway_front_new_with_events:
 * @events: (transfer full): where the connections are watched, made beforehand
 *   (a worker makes it before any worker accepts: it takes a descriptor)
 */
MsGatewayFront *
ms_gateway_front_new_with_events(MsGatewayWorker *worker, MsGatewayEvents *events)
{
	MsGatewayFront *self = g_new0(MsGatewayFront, 1);
	GMainContext *context = ms_gateway_events_get_context(events);

	self->host.worker = worker;
	self->host.events = events;
	/* one epoll set for the worker's client and upstream connections alike */
	ms_upstream_pool_set_events(ms_gateway_worker_get_pool(worker), events);
	self->host.read_buffer = g_string_sized_new(MS_GATEWAY_FRONT_READ_BYTES);
	self->host.output_spares = ms_gateway_front_output_spares_new();
	self->host.request_header_spares =
		g_ptr_array_new_with_free_func((GDestroyNotify)ms_http_fields_free);
	self->host.response_header_spares =
		g_ptr_array_new_with_free_func((GDestroyNotify)ms_http_fields_free);
	self->context = context != NULL ? g_main_context_ref(context) : NULL;
	self->host.closed = front_conn_closed;
	self->host.data = self;
	self->connections = g_hash_table_new_full(NULL,
						  NULL,
						  (GDestroyNotify)ms_gateway_front_conn_unref,
						  NULL);
	self->listeners =
		g_ptr_array_new_with_free_func((GDestroyNotify)ms_gateway_front_listener_free);
	self->limits = ms_gateway_limits_new_within(NULL);
	return self;
}

MsGatewayFront *
ms_gateway_front_new(MsGatewayWorker *worker, GMainContext *context)
{
	return ms_gateway_front_new_with_events(worker, ms_gateway_events_new(context));
}

/**
 * ms_gateway_front_set_limits:
 * @limits: (nullable): shared by every worker's front; outlives them
 *
 * Bounds the connections that ms_gateway_front_listen() accepts; without
 * limits, it accepts whatever comes. Only before the first listener and the
 * first connection.
 */
void
ms_gateway_front_set_limits(MsGatewayFront *self, MsGatewayLimits *limits)
{
	g_return_if_fail(self->listeners->len == 0);
	g_return_if_fail(g_hash_table_size(self->connections) == 0);
	ms_gateway_limits_free(self->limits);
	self->limits = ms_gateway_limits_new_within(limits);
}

/**
 * ms_gateway_front_listen:
 * @listener: a listening socket; the front keeps a reference and closes it
 *   when freed
 *
 * Accepts the connections that arrive on @listener until the front stops.
 */
void
ms_gateway_front_listen(MsGatewayFront *self, GSocket *listener)
{
	g_ptr_array_add(self->listeners,
			ms_gateway_front_listener_new(listener,
						      self->context,
						      self->limits,
						      front_accepted,
						      self));
}

/**
 * ms_gateway_front_accept:
 * @client: a connected socket; the front takes a reference
 *
 * Serves HTTP/1.1 on @client from the front's main context. It counts like
 * an accepted connection: at max_connections @client is closed at once.
 */
void
ms_gateway_front_accept(MsGatewayFront *self, GSocket *client)
{
	MsGatewayLimitsSlot *slot = ms_gateway_limits_try_reserve(self->limits);

	if (slot == NULL) {
		g_socket_close(client, NULL);
		return;
	}
	front_take(self, client, ms_gateway_front_conn_peer_address(g_socket_get_fd(client)), slot);
}

static void
front_stop_listening(MsGatewayFront *self)
{
	for (guint i = 0; i < self->listeners->len; i++)
		ms_gateway_front_listener_stop(g_ptr_array_index(self->listeners, i));
}

/* a copy: closing a connection takes it out of the table */
static GPtrArray *
front_list_connections(MsGatewayFront *self)
{
	GPtrArray *open = g_ptr_array_sized_new(g_hash_table_size(self->connections));
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(open, key);
	return open;
}

/**
 * ms_gateway_front_stop:
 * @on_empty: called once, when the last connection is closed (maybe at once)
 *
 * Drains: idle connections close now; the others close after the answer
 * they are reading or writing, which says Connection: close when it can.
 */
void
ms_gateway_front_stop(MsGatewayFront *self, GSourceFunc on_empty, gpointer data)
{
	g_autoptr(GPtrArray) open = front_list_connections(self);

	self->stopping = TRUE;
	front_stop_listening(self);
	self->on_empty = on_empty;
	self->on_empty_data = data;
	for (guint i = 0; i < open->len; i++) {
		MsGatewayFrontConn *conn = g_ptr_array_index(open, i);

		ms_gateway_front_conn_drain(conn);
		if (ms_gateway_front_conn_is_idle(conn))
			ms_gateway_front_conn_close(conn, FALSE);
	}
	front_maybe_empty(self);
}

/* connections open now, refused ones until they are closed; any thread may ask */
guint
ms_gateway_front_get_n_connections(MsGatewayFront *self)
{
	return ms_gateway_limits_get_n_open(self->limits);
}

/**
 * ms_gateway_front_get_n_dispatches:
 *
 * For tests: how many times one of the worker's connections (a client's or
 * an upstream one of its pool) was dispatched, for input, output, a deadline
 * or work of its own. Idle connections add nothing to it.
 */
guint64
ms_gateway_front_get_n_dispatches(MsGatewayFront *self)
{
	return ms_gateway_events_get_n_dispatches(self->host.events);
}

/* closes whatever is still open: requests in flight end as aborted */
void
ms_gateway_front_free(MsGatewayFront *self)
{
	g_autoptr(GPtrArray) open = front_list_connections(self);

	self->on_empty = NULL;
	front_stop_listening(self);
	g_ptr_array_unref(self->listeners);
	for (guint i = 0; i < open->len; i++)
		ms_gateway_front_conn_close(g_ptr_array_index(open, i), TRUE);
	g_hash_table_unref(self->connections);
	/* the pool's connections are in the events too: closed first */
	ms_upstream_pool_set_events(ms_gateway_worker_get_pool(self->host.worker), NULL);
	/* the connections' last references may be the events' */
	ms_gateway_events_free(self->host.events);
	g_string_free(self->host.read_buffer, TRUE);
	g_ptr_array_unref(self->host.output_spares);
	g_ptr_array_unref(self->host.request_header_spares);
	g_ptr_array_unref(self->host.response_header_spares);
	ms_gateway_limits_free(self->limits);
	if (self->context != NULL)
		g_main_context_unref(self->context);
	g_free(self);
}

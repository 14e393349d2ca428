/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-connection-tracker.h"

#include <string.h>

#include "ms-peer.h"

struct _MsConnectionTracker {
	GHashTable *connections; /* client GSockets seen (owned), until found closed */
	GHashTable *served;      /* those of them that have answered a request */
	/*
	 * The messages are held (owned keys): libsoup drops a message that never got
	 * a request line without a signal, and such a message is found here by its
	 * closed connection. A reference costs less per request than a weak one.
	 */
	GHashTable *waiting;   /* messages started, request not read yet */
	GHashTable *in_flight; /* messages read, response not finished → MsTrackedRequest */
	gboolean stopping;
};

MsConnectionTracker *
ms_connection_tracker_new(void)
{
	MsConnectionTracker *self = g_new0(MsConnectionTracker, 1);

	self->connections = g_hash_table_new_full(NULL, NULL, g_object_unref, NULL);
	self->served = g_hash_table_new(NULL, NULL);
	self->waiting = g_hash_table_new_full(NULL, NULL, g_object_unref, NULL);
	self->in_flight = g_hash_table_new_full(NULL, NULL, g_object_unref, g_free);
	return self;
}

/**
 * ms_connection_tracker_free:
 *
 * Forgets every message and connection.
 */
void
ms_connection_tracker_free(MsConnectionTracker *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->waiting);
	g_hash_table_unref(self->in_flight);
	g_hash_table_unref(self->served);
	g_hash_table_unref(self->connections);
	g_free(self);
}

static void
mark_connection_close(SoupServerMessage *msg)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
}

void
ms_connection_tracker_message_started(MsConnectionTracker *self, SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	/*
	 * libsoup has no signal for a connection's end, so the sockets are kept and
	 * counted on the runtime's ticks: an open keep-alive connection keeps
	 * it busy even between requests.
	 */
	if (socket != NULL && !g_hash_table_contains(self->connections, socket))
		g_hash_table_add(self->connections, g_object_ref(socket));
	g_hash_table_add(self->waiting, g_object_ref(msg));
}

/**
 * ms_connection_tracker_message_read:
 * @request_id: @msg's sane id (ms_request_id_is_sane())
 *
 * @msg's request is in: from now on it is in flight, and its duration runs.
 */
void
ms_connection_tracker_message_read(MsConnectionTracker *self,
				   SoupServerMessage *msg,
				   const char *request_id)
{
	/*
	 * The record is kept here, where the message is looked up anyway, not as
	 * qdata; the id is copied so that the log line need not look for it in the
	 * headers again.
	 */
	if (g_hash_table_steal(self->waiting, msg)) {
		MsTrackedRequest *record = g_new(MsTrackedRequest, 1);
		/* not g_strlcpy(), which copies byte by byte */
		gsize length = strnlen(request_id, MS_REQUEST_ID_MAX_LENGTH);

		record->read_at = g_get_monotonic_time();
		memcpy(record->request_id, request_id, length);
		record->request_id[length] = '\0';
		g_hash_table_insert(self->in_flight, msg, record);
	}
	if (self->stopping)
		mark_connection_close(msg);
}

/**
 * ms_connection_tracker_message_done:
 * @answered: %TRUE when the response was sent, %FALSE when the request was aborted
 *
 * Returns: (transfer full) (nullable): @msg's record if its request had been read
 */
MsTrackedRequest *
ms_connection_tracker_message_done(MsConnectionTracker *self,
				   SoupServerMessage *msg,
				   gboolean answered)
{
	GSocket *socket = soup_server_message_get_socket(msg);
	MsTrackedRequest *record = NULL;

	/* a keep-alive connection has been served before: one lookup, no insertion */
	if (answered && socket != NULL && !g_hash_table_contains(self->served, socket) &&
	    g_hash_table_contains(self->connections, socket))
		g_hash_table_add(self->served, socket);
	/* a message already forgotten with its dead connection holds nothing */
	if (g_hash_table_steal_extended(self->in_flight, msg, NULL, (gpointer *)&record))
		g_object_unref(msg);
	else
		g_hash_table_remove(self->waiting, msg);
	return record;
}

static gboolean
connection_is_busy(MsConnectionTracker *self, GSocket *socket)
{
	GHashTableIter iter;
	gpointer msg;

	g_hash_table_iter_init(&iter, self->in_flight);
	while (g_hash_table_iter_next(&iter, &msg, NULL)) {
		if (soup_server_message_get_socket(msg) == socket)
			return TRUE;
	}
	return FALSE;
}

/* libsoup will never end these messages of @table: they are forgotten here */
static void
forget_messages_on(GHashTable *table, GSocket *socket)
{
	GHashTableIter iter;
	gpointer msg;

	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, &msg, NULL)) {
		if (soup_server_message_get_socket(msg) == socket)
			g_hash_table_iter_remove(&iter);
	}
}

/**
 * ms_connection_tracker_sweep:
 *
 * Forgets connections that have ended. libsoup 3.2 never closes a keep-alive
 * connection whose client hung up between requests (fixed in 3.3 by commit
 * d20c660, "Don't leak idle connections closed by the client"): such a socket has
 * seen the hang-up and has nothing in flight, so it is closed here rather than
 * held until exit.
 *
 * Returns: how many connections are still open
 */
guint
ms_connection_tracker_sweep(MsConnectionTracker *self)
{
	GHashTableIter iter;
	gpointer socket;

	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &socket, NULL)) {
		if (g_socket_is_closed(socket)) {
			/* what libsoup dropped with the connection, or took from it */
			forget_messages_on(self->waiting, socket);
			forget_messages_on(self->in_flight, socket);
			g_hash_table_remove(self->served, socket);
			g_hash_table_iter_remove(&iter);
		} else if (ms_peer_state(socket) == MS_PEER_GONE &&
			   !connection_is_busy(self, socket)) {
			forget_messages_on(self->waiting, socket);
			g_socket_close(socket, NULL);
			g_hash_table_remove(self->served, socket);
			g_hash_table_iter_remove(&iter);
		}
	}
	return g_hash_table_size(self->connections);
}

/*
 * Whether a stopping service still owes this connection an answer: bytes are
 * waiting that libsoup has yet to read, or the connection is new and its first
 * request is on its way (a client that connected just before the stop). An idle
 * keep-alive connection owes nothing: clients retry a request on a reused
 * connection that closes.
 */
static gboolean
owes_answer(MsConnectionTracker *self, GSocket *socket)
{
	switch (ms_peer_state(socket)) {
	case MS_PEER_SENT:
		return TRUE;
	case MS_PEER_QUIET:
		return !g_hash_table_contains(self->served, socket);
	case MS_PEER_GONE:
	default:
		return FALSE;
	}
}

/**
 * ms_connection_tracker_stop:
 *
 * The server stopped accepting: what is in flight finishes with Connection:
 * close, connections owed an answer get it, every other one is closed now.
 */
void
ms_connection_tracker_stop(MsConnectionTracker *self)
{
	g_autoptr(GHashTable) busy = g_hash_table_new(NULL, NULL);
	GHashTableIter iter;
	gpointer key;

	self->stopping = TRUE;
	g_hash_table_iter_init(&iter, self->in_flight);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		mark_connection_close(key);
		g_hash_table_add(busy, soup_server_message_get_socket(key));
	}
	/* a started message with a method has its headers and is reading its body */
	g_hash_table_iter_init(&iter, self->waiting);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (soup_server_message_get_method(key) == NULL)
			continue;
		mark_connection_close(key);
		g_hash_table_add(busy, soup_server_message_get_socket(key));
	}
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (!g_hash_table_contains(busy, key) && !g_socket_is_closed(key) &&
		    !owes_answer(self, key))
			g_socket_shutdown(key, TRUE, TRUE, NULL);
	}
}

/**
 * ms_connection_tracker_get_work_left:
 *
 * While stopping, the work left is what a client is waiting for: requests read
 * and not answered, requests whose headers are in and whose body is coming, and
 * requests that have arrived but that libsoup has not read yet.
 */
guint
ms_connection_tracker_get_work_left(MsConnectionTracker *self)
{
	GHashTableIter iter;
	gpointer key;
	guint left = g_hash_table_size(self->in_flight);

	g_hash_table_iter_init(&iter, self->waiting);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (soup_server_message_get_method(key) != NULL)
			left++;
	}
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (owes_answer(self, key))
			left++;
	}
	return left;
}

/**
 * ms_connection_tracker_lookup:
 *
 * Returns: (transfer none) (nullable): @msg's record while its request is in flight
 */
const MsTrackedRequest *
ms_connection_tracker_lookup(MsConnectionTracker *self, SoupServerMessage *msg)
{
	return g_hash_table_lookup(self->in_flight, msg);
}

guint
ms_connection_tracker_get_n_in_flight(MsConnectionTracker *self)
{
	return g_hash_table_size(self->in_flight);
}

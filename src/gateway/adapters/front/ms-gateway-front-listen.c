/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accept4() */
#define _GNU_SOURCE
#include "config.h"

#include "gateway/adapters/front/ms-gateway-front-listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ms-log.h"
#include "common/ms-request-id.h"
#include "gateway/adapters/front/ms-gateway-front-conn.h"

/*
 * Accepting for a front: every worker's front (and the in-process tests'
 * front) watches the listening sockets it is given and takes what arrives.
 * Below the front, above its connections: what is accepted goes up through
 * the callback the front gave, and the only front file called from here is
 * ms-gateway-front-conn.c, for the peer's address.
 * Several workers accept on duplicates of the same socket, so an accept that
 * finds nothing is normal: another worker was quicker.
 *
 * Each listener is a GSource of its own that stops polling its socket when it
 * must not accept: at max_connections (until a slot is released anywhere, see
 * ms-gateway-limits.h) and for a back-off after accept() fails. A listening
 * socket is level-triggered: polling it while not accepting would wake the
 * loop at once, again and again, which is how EMFILE once became a busy loop
 * with a warning per turn.
 */

/* at most this many accepts per wakeup, so one busy socket cannot starve the rest */
#define FRONT_ACCEPT_BATCH 16
/* after accept() fails: what frees descriptors or memory is a close, which takes time */
#define FRONT_ACCEPT_BACKOFF_MIN_USEC (100 * G_TIME_SPAN_MILLISECOND)
#define FRONT_ACCEPT_BACKOFF_MAX_USEC (G_TIME_SPAN_SECOND)
/* a warning that can repeat with every connection is written at most this often */
#define FRONT_WARNING_INTERVAL_USEC G_TIME_SPAN_SECOND
/* what a refused client is told to wait before it tries again */
#define FRONT_REFUSED_RETRY_AFTER_S 1

struct _MsGatewayFrontListener {
	GSource source;
	GSocket *socket;
	int fd;
	gpointer tag;
	MsGatewayLimits *limits;
	MsGatewayFrontAcceptedFunc accepted;
	gpointer accepted_data;
	gboolean stopped;
	gboolean watching; /* the socket is polled */
	gboolean waiting;  /* for a slot: a release sets the ready time */
	gint64 resume_at;  /* the end of an accept() back-off, monotonic µs; -1 for none */
	gint64 backoff;    /* the next back-off, doubled while accept() keeps failing */
};

/* one warning per interval for each kind, process-wide, with how many were left out */
typedef struct {
	gint64 last;
	guint suppressed;
} WarningLimit;

G_LOCK_DEFINE_STATIC(warnings);
static WarningLimit accept_failed_warnings = { G_MININT64, 0 };
static WarningLimit full_warnings = { G_MININT64, 0 };
static WarningLimit per_client_warnings = { G_MININT64, 0 };

/* Returns: %FALSE when the warning is left out; else *suppressed tells how many were */
static gboolean
warning_allowed(WarningLimit *limit, guint *suppressed)
{
	gint64 now = g_get_monotonic_time();
	gboolean allowed = FALSE;

	G_LOCK(warnings);
	if (limit->last == G_MININT64 || now - limit->last >= FRONT_WARNING_INTERVAL_USEC) {
		*suppressed = limit->suppressed;
		limit->suppressed = 0;
		limit->last = now;
		allowed = TRUE;
	} else {
		limit->suppressed++;
	}
	G_UNLOCK(warnings);
	return allowed;
}

static void
listen_watch(MsGatewayFrontListener *listen, gboolean watch)
{
	if (listen->watching == watch)
		return;
	listen->watching = watch;
	g_source_modify_unix_fd(&listen->source, listen->tag, watch ? G_IO_IN : 0);
}

/* at max_connections: the backlog keeps what comes until a slot is released */
static gboolean
listen_wait_for_slot(MsGatewayFrontListener *listen)
{
	MsGatewayLimits *limits = listen->limits;
	guint suppressed = 0;

	listen_watch(listen, FALSE);
	if (ms_gateway_limits_wait(limits, &listen->source))
		return FALSE;
	if (!listen->waiting && warning_allowed(&full_warnings, &suppressed))
		ms_warning("max_connections (%u) reached: new connections wait in the backlog "
			   "(%u such warnings left out)",
			   ms_gateway_limits_get_max_connections(limits),
			   suppressed);
	listen->waiting = TRUE;
	return TRUE;
}

static void
listen_back_off(MsGatewayFrontListener *listen, int error)
{
	guint suppressed = 0;

	listen_watch(listen, FALSE);
	listen->resume_at = g_get_monotonic_time() + listen->backoff;
	g_source_set_ready_time(&listen->source, listen->resume_at);
	if (warning_allowed(&accept_failed_warnings, &suppressed))
		ms_warning("accept failed: %s; not accepting on this socket for %" G_GINT64_FORMAT
			   " ms (%u such warnings left out)",
			   g_strerror(error),
			   listen->backoff / G_TIME_SPAN_MILLISECOND,
			   suppressed);
	listen->backoff = MIN(listen->backoff * 2, FRONT_ACCEPT_BACKOFF_MAX_USEC);
}

/*
 * A client over max_connections_per_client: one fixed answer, written only if
 * the socket takes it at once, then the close. What the client already sent is
 * read first, as far as it is there, so that the close does not reset the
 * connection and take the answer with it. It is in English only: it goes out
 * before any request is read, so no Accept-Language is known to answer in.
 */
static void
refuse_per_client(int fd, const char *client)
{
	g_autofree char *id = ms_request_id_new();
	g_autofree char *body = g_strdup_printf(
		"{\"type\":\"urn:microsoup:problem:too_many_connections\","
		"\"title\":\"Too many connections\",\"status\":503,"
		"\"detail\":\"this client has too many connections open; close one and try "
		"again\",\"request_id\":\"%s\"}",
		id);
	g_autofree char *answer = g_strdup_printf("HTTP/1.1 503 Service Unavailable\r\n"
						  "Content-Type: application/problem+json\r\n"
						  "Content-Length: %zu\r\n"
						  "Retry-After: %d\r\n"
						  "Connection: close\r\n"
						  "X-Request-ID: %s\r\n"
						  "\r\n"
						  "%s",
						  strlen(body),
						  FRONT_REFUSED_RETRY_AFTER_S,
						  id,
						  body);
	char discard[4096];
	guint suppressed = 0;

	while (recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0)
		;
	if (send(fd, answer, strlen(answer), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		shutdown(fd, SHUT_WR);
	if (warning_allowed(&per_client_warnings, &suppressed))
		ms_warning("refused a connection from %s: max_connections_per_client reached "
			   "(%u such warnings left out)",
			   client,
			   suppressed);
}

/* the slot and the address go to the front with the socket: one count per connection */
static void
take_connection(MsGatewayFrontListener *listen, int fd, MsGatewayLimitsSlot *slot)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autofree char *address = ms_gateway_front_conn_peer_address(fd);
	GSocketFamily family;

	if (address != NULL && !ms_gateway_limits_slot_set_client(slot, address)) {
		refuse_per_client(fd, address);
		close(fd);
		ms_gateway_limits_count_refused(listen->limits, MS_GATEWAY_REFUSED_PER_CLIENT);
		ms_gateway_limits_slot_release(slot);
		return;
	}
	client = g_socket_new_from_fd(fd, &error);
	if (client == NULL) {
		/* the peer is gone already, or the fd is not a socket: nothing to answer */
		close(fd);
		ms_gateway_limits_slot_release(slot);
		return;
	}
	family = g_socket_get_family(client);
	if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
		g_socket_set_option(client, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	listen->accepted(client, g_steal_pointer(&address), slot, listen->accepted_data);
}

static void
accept_some(MsGatewayFrontListener *listen)
{
	for (guint i = 0; i < FRONT_ACCEPT_BATCH && !listen->stopped; i++) {
		MsGatewayLimitsSlot *slot = ms_gateway_limits_try_reserve(listen->limits);
		int fd;

		if (slot == NULL) {
			if (listen_wait_for_slot(listen))
				return;
			/* released meanwhile: go on */
			listen_watch(listen, TRUE);
			continue;
		}
		do
			fd = accept4(listen->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			int error = errno;

			ms_gateway_limits_slot_release(slot);
			switch (error) {
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
				return;
			/* accept(2): the network errors of the connection taken, already gone;
			 * the next one may be fine, and the batch bounds the turns */
			case ECONNABORTED:
			case EPROTO:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case ENETUNREACH:
			case EPERM:
				continue;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM, or something unknown */
				listen_back_off(listen, error);
				return;
			}
		}
		listen->backoff = FRONT_ACCEPT_BACKOFF_MIN_USEC;
		take_connection(listen, fd, slot);
	}
}

static gboolean
listen_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	MsGatewayFrontListener *listen = (MsGatewayFrontListener *)source;
	gint64 armed = g_source_get_ready_time(source);
	gboolean ready = listen->watching &&
			 (g_source_query_unix_fd(source, listen->tag) & (G_IO_IN | G_IO_ERR));

	if (armed != -1 && armed <= g_source_get_time(source)) {
		/* a release woke it during a back-off: the back-off goes on */
		if (listen->resume_at != -1 && listen->resume_at > g_get_monotonic_time()) {
			g_source_set_ready_time(source, listen->resume_at);
			return G_SOURCE_CONTINUE;
		}
		g_source_set_ready_time(source, -1);
		listen->resume_at = -1;
		listen->waiting = FALSE;
		listen_watch(listen, TRUE);
		/* the backlog may hold connections already: no need to wait for a poll */
		ready = TRUE;
	}
	if (ready)
		accept_some(listen);
	return G_SOURCE_CONTINUE;
}

static void
listen_finalize(GSource *source)
{
	MsGatewayFrontListener *listen = (MsGatewayFrontListener *)source;

	g_object_unref(listen->socket);
}

static GSourceFuncs listen_funcs = {
	.dispatch = listen_dispatch,
	.finalize = listen_finalize,
};

/**
 * ms_gateway_front_listener_new:
 * @socket: a listening socket; the listener keeps a reference and closes it
 *   when freed
 * @limits: what every accepted connection takes a slot of; outlives the listener
 * @accepted: gets each accepted connection: its socket (a reference to take),
 *   the peer's address and the slot (both transfer full)
 *
 * Accepts the connections that arrive on @socket, from @context, until
 * ms_gateway_front_listener_stop().
 */
MsGatewayFrontListener *
ms_gateway_front_listener_new(GSocket *socket,
			      GMainContext *context,
			      MsGatewayLimits *limits,
			      MsGatewayFrontAcceptedFunc accepted,
			      gpointer accepted_data)
{
	MsGatewayFrontListener *listen =
		(MsGatewayFrontListener *)g_source_new(&listen_funcs,
						       sizeof(MsGatewayFrontListener));

	g_socket_set_blocking(socket, FALSE);
	listen->socket = g_object_ref(socket);
	listen->fd = g_socket_get_fd(socket);
	listen->limits = limits;
	listen->accepted = accepted;
	listen->accepted_data = accepted_data;
	listen->watching = TRUE;
	listen->resume_at = -1;
	listen->backoff = FRONT_ACCEPT_BACKOFF_MIN_USEC;
	listen->tag = g_source_add_unix_fd(&listen->source, listen->fd, G_IO_IN);
	g_source_set_static_name(&listen->source, "microsoup front listener");
	g_source_attach(&listen->source, context);
	return listen;
}

/* no new connections from here on */
void
ms_gateway_front_listener_stop(MsGatewayFrontListener *listen)
{
	listen->stopped = TRUE;
	/* before it can go: a release in another worker may be about to wake it */
	ms_gateway_limits_unwait(listen->limits, &listen->source);
	g_source_destroy(&listen->source);
}

/* stopped or not: a listener that still runs is stopped first */
void
ms_gateway_front_listener_free(MsGatewayFrontListener *listen)
{
	if (!listen->stopped)
		ms_gateway_front_listener_stop(listen);
	g_source_unref(&listen->source);
}

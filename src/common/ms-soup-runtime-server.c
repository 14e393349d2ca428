/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-soup-runtime-server.h"

#include "ms-connection-tracker.h"
#include "ms-listen.h"
#include "ms-log-access.h"
#include "ms-problem.h"
#include "ms-request-id.h"
#include "ms-request-target.h"
#include "ms-soup-healthz.h"

/*
 * The services' server: a SoupServer with one log line per request and a
 * connection tracker, since libsoup reports neither a connection's end nor
 * when it is idle.
 */

typedef struct {
	MsRuntimeServer iface;
	SoupServer *server;
	GPtrArray *listen_sockets; /* dups handed to libsoup; closing them stops accepting */
	MsConnectionTracker *tracker;
	guint64 requests_served;
} MsSoupRuntimeServer;

/*
 * The request signals are taken as class handlers: a class closure costs less per
 * emission than a connected one. request-read is not taken at all: a request is
 * taken in by the handler it goes to (ms_soup_server_add_handler()), which spares
 * every request a signal emission.
 */
#define MS_TYPE_SOUP_SERVER (ms_soup_server_get_type())
G_DECLARE_FINAL_TYPE(MsSoupServer, ms_soup_server, MS, SOUP_SERVER, SoupServer)

struct _MsSoupServer {
	SoupServer parent_instance;
	MsSoupRuntimeServer *owner; /* NULL once it is freed: then requests are not seen */
};

G_DEFINE_FINAL_TYPE(MsSoupServer, ms_soup_server, SOUP_TYPE_SERVER)

/* the class handlers run on this class only: no checked cast on every request */
static inline MsSoupRuntimeServer *
owner_of(SoupServer *server)
{
	return ((MsSoupServer *)server)->owner;
}

/* for what any SoupServer may call: whether @server is a runtime's */
static gboolean
is_runtime_server(SoupServer *server)
{
	return G_TYPE_CHECK_INSTANCE_TYPE(server, MS_TYPE_SOUP_SERVER);
}

/* %NULL unless @server is a runtime's, and its runtime is still there */
static MsSoupRuntimeServer *
owner_if_runtime(SoupServer *server)
{
	return is_runtime_server(server) ? owner_of(server) : NULL;
}

static void
on_request_started(SoupServer *server, SoupServerMessage *msg)
{
	MsSoupRuntimeServer *self = owner_of(server);

	if (self != NULL)
		ms_connection_tracker_message_started(self->tracker, msg);
}

/* @msg's request is in: it gets its id, and its clock starts */
static void
take_request(MsSoupRuntimeServer *self, SoupServerMessage *msg)
{
	char made[MS_REQUEST_ID_MADE_SIZE];

	ms_connection_tracker_message_read(self->tracker, msg, ms_request_id_assign(msg, made));
}

static void
log_request(SoupServerMessage *msg, const MsTrackedRequest *request)
{
	const MsAccessEntry entry = {
		.request_id = request->request_id,
		.method = soup_server_message_get_method(msg),
		.path = ms_request_target_path(msg),
		.status = soup_server_message_get_status(msg),
		.duration_us = (guint64)(g_get_monotonic_time() - request->read_at),
		.user = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
						     "X-Microsoup-User"),
	};

	ms_log_access(&entry);
}

static void
on_request_finished(SoupServer *server, SoupServerMessage *msg)
{
	MsSoupRuntimeServer *self = owner_of(server);
	g_autofree MsTrackedRequest *request = NULL;

	if (self == NULL)
		return;
	request = ms_connection_tracker_message_done(self->tracker, msg, TRUE);
	if (request != NULL) {
		self->requests_served++;
		log_request(msg, request);
	}
}

static void
on_request_aborted(SoupServer *server, SoupServerMessage *msg)
{
	MsSoupRuntimeServer *self = owner_of(server);

	if (self != NULL)
		g_free(ms_connection_tracker_message_done(self->tracker, msg, FALSE));
}

static void
ms_soup_server_class_init(MsSoupServerClass *klass)
{
	SoupServerClass *server_class = SOUP_SERVER_CLASS(klass);

	server_class->request_started = on_request_started;
	server_class->request_finished = on_request_finished;
	server_class->request_aborted = on_request_aborted;
}

static void
ms_soup_server_init(MsSoupServer *self)
{
}

/*
 * OPTIONS * names no path, so no handler of a path takes it. libsoup would answer
 * it 404 by itself, and the request would go untaken: no id, no log line.
 */
static void
options_ping_handler(SoupServer *server,
		     SoupServerMessage *msg,
		     const char *path,
		     GHashTable *query,
		     gpointer user_data)
{
	ms_problem_send_not_found(msg, path);
}

static gboolean
listen_on(MsSoupRuntimeServer *self, GSocket *socket, GError **error)
{
	g_autoptr(GSocket) duplicate = ms_listen_socket_dup(socket, error);

	if (duplicate == NULL || !soup_server_listen_socket(self->server, duplicate, 0, error))
		return FALSE;
	g_ptr_array_add(self->listen_sockets, g_steal_pointer(&duplicate));
	return TRUE;
}

static gboolean
soup_start(MsRuntimeServer *server, GPtrArray *sockets, GError **error)
{
	MsSoupRuntimeServer *self = (MsSoupRuntimeServer *)server;

	for (guint i = 0; i < sockets->len; i++) {
		if (!listen_on(self, g_ptr_array_index(sockets, i), error))
			return FALSE;
	}
	return TRUE;
}

static void
soup_stop(MsRuntimeServer *server)
{
	MsSoupRuntimeServer *self = (MsSoupRuntimeServer *)server;

	/*
	 * libsoup cannot remove one listener, but it stops watching a socket whose
	 * accept fails. It was given duplicates: closing them fails the next accept,
	 * while the runtime's sockets keep the backlog for the next instance.
	 */
	for (guint i = 0; i < self->listen_sockets->len; i++)
		g_socket_close(g_ptr_array_index(self->listen_sockets, i), NULL);
	ms_connection_tracker_stop(self->tracker);
}

static guint
soup_get_n_connections(MsRuntimeServer *server)
{
	MsSoupRuntimeServer *self = (MsSoupRuntimeServer *)server;

	/* a connection's end is only found by looking */
	return ms_connection_tracker_sweep(self->tracker);
}

static guint
soup_get_work_left(MsRuntimeServer *server)
{
	MsSoupRuntimeServer *self = (MsSoupRuntimeServer *)server;

	return ms_connection_tracker_get_work_left(self->tracker);
}

static guint64
soup_get_n_requests(MsRuntimeServer *server)
{
	return ((MsSoupRuntimeServer *)server)->requests_served;
}

static void
soup_free(MsRuntimeServer *server)
{
	MsSoupRuntimeServer *self = (MsSoupRuntimeServer *)server;

	MS_SOUP_SERVER(self->server)->owner = NULL;
	g_clear_pointer(&self->tracker, ms_connection_tracker_free);
	soup_server_disconnect(self->server);
	g_object_unref(self->server);
	g_ptr_array_unref(self->listen_sockets);
	g_free(self);
}

/**
 * ms_soup_runtime_server_new:
 * @server_header: what the Server: header says
 *
 * Returns: (transfer full): a SoupServer for ms_runtime_set_server()
 */
MsRuntimeServer *
ms_soup_runtime_server_new(const char *server_header)
{
	MsSoupRuntimeServer *self = g_new0(MsSoupRuntimeServer, 1);

	self->iface.start = soup_start;
	self->iface.stop = soup_stop;
	self->iface.get_n_connections = soup_get_n_connections;
	self->iface.get_work_left = soup_get_work_left;
	self->iface.get_n_requests = soup_get_n_requests;
	self->iface.free = soup_free;
	self->server = g_object_new(MS_TYPE_SOUP_SERVER, "server-header", server_header, NULL);
	MS_SOUP_SERVER(self->server)->owner = self;
	/* every service answers its probes itself: GET /healthz */
	ms_soup_server_add_handler(self->server,
				   MS_HEALTHZ_PATH,
				   ms_soup_healthz_handler,
				   NULL,
				   NULL);
	ms_soup_server_add_handler(self->server, "*", options_ping_handler, NULL, NULL);
	self->listen_sockets = g_ptr_array_new_with_free_func(g_object_unref);
	self->tracker = ms_connection_tracker_new();
	return &self->iface;
}

/**
 * ms_soup_runtime_server_get_soup_server:
 *
 * Returns: (transfer none): where the handlers go
 */
SoupServer *
ms_soup_runtime_server_get_soup_server(MsRuntimeServer *server)
{
	return ((MsSoupRuntimeServer *)server)->server;
}

/**
 * ms_soup_server_get_request_id:
 * @server: the server that runs @msg's handler
 * @msg: a message whose request was read
 *
 * ms_request_id_get() for a handler: on a runtime's server the id is taken from
 * what it tracks of @msg, not looked for again among the response's headers.
 *
 * Returns: (transfer none) (nullable): @msg's id
 */
const char *
ms_soup_server_get_request_id(SoupServer *server, SoupServerMessage *msg)
{
	MsSoupRuntimeServer *self = owner_if_runtime(server);
	const MsTrackedRequest *request =
		self != NULL ? ms_connection_tracker_lookup(self->tracker, msg) : NULL;

	return request != NULL ? request->request_id : ms_request_id_get(msg);
}

/**
 * ms_runtime_serve_with_soup:
 *
 * Gives @runtime a SoupServer that calls itself by the runtime's name: no
 * libsoup version string for scanners.
 *
 * Returns: (transfer none): the SoupServer, for the binary's handlers
 */
SoupServer *
ms_runtime_serve_with_soup(MsRuntime *runtime)
{
	MsRuntimeServer *server = ms_soup_runtime_server_new(ms_runtime_get_identifier(runtime));

	ms_runtime_set_server(runtime, server);
	return ms_soup_runtime_server_get_soup_server(server);
}

/**
 * ms_soup_server_take_request:
 * @server: the server @msg came to
 * @msg: a message whose request headers are in
 *
 * Gives @msg its id (a sane incoming one, or a new one, also sent back) and, on a
 * runtime's server, starts its clock and its log line. A handler added with
 * ms_soup_server_add_handler() has had this done; an early handler that answers
 * by itself calls it, since no handler will.
 */
void
ms_soup_server_take_request(SoupServer *server, SoupServerMessage *msg)
{
	MsSoupRuntimeServer *self = owner_if_runtime(server);

	if (self != NULL)
		take_request(self, msg);
	else
		ms_request_id_ensure(msg);
}

/*
 * A handler of a runtime's server, run after its request is taken in. libsoup
 * emits request-read just before it calls a handler; taking the request here
 * instead does the same work without the emission.
 */
typedef struct {
	SoupServerCallback callback;
	gpointer user_data;
	GDestroyNotify destroy;
} TakingHandler;

static void
taking_handler_run(SoupServer *server,
		   SoupServerMessage *msg,
		   const char *path,
		   GHashTable *query,
		   gpointer data)
{
	TakingHandler *handler = data;
	MsSoupRuntimeServer *self = owner_of(server);

	if (self != NULL)
		take_request(self, msg);
	handler->callback(server, msg, path, query, handler->user_data);
}

static void
taking_handler_free(gpointer data)
{
	TakingHandler *handler = data;

	if (handler->destroy != NULL)
		handler->destroy(handler->user_data);
	g_free(handler);
}

/**
 * ms_soup_server_add_handler:
 *
 * soup_server_add_handler() for a service's handler: on a runtime's server each
 * request is taken in (ms_soup_server_take_request()) before @callback runs. On
 * any other SoupServer it is soup_server_add_handler().
 */
void
ms_soup_server_add_handler(SoupServer *server,
			   const char *path,
			   SoupServerCallback callback,
			   gpointer user_data,
			   GDestroyNotify destroy)
{
	TakingHandler *handler;

	if (!is_runtime_server(server)) {
		soup_server_add_handler(server, path, callback, user_data, destroy);
		return;
	}
	handler = g_new(TakingHandler, 1);
	handler->callback = callback;
	handler->user_data = user_data;
	handler->destroy = destroy;
	soup_server_add_handler(server, path, taking_handler_run, handler, taking_handler_free);
}

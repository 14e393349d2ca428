#include "config.h"

#include "ms-gateway-private.h"

/*
 * A front over a SoupServer, for ms_gateway_attach(): each SoupServerMessage
 * becomes a request of the core; the core's answer is set on the message,
 * which stays paused until the answer ends.
 */

typedef struct {
	GHashTable *exchanges; /* SoupServerMessage → Exchange */
	MsGatewayWorker *worker;
	SoupServer *server;
} SoupFront;

typedef struct {
	SoupServerMessage *msg;
	MsGatewayRequest *request;
	guint64 chunked_bytes;
	guint64 unwritten;    /* body bytes handed to libsoup, not yet written */
	gulong wrote_handler; /* watches writes once the body is large */
	gboolean chunked;
	gboolean too_large;
	gboolean held; /* paused, with a reference, until the answer ends */
} Exchange;

static void
exchange_free(Exchange *ex)
{
	if (ex->wrote_handler != 0)
		g_signal_handler_disconnect(ex->msg, ex->wrote_handler);
	if (ex->held)
		g_object_unref(ex->msg);
	g_free(ex);
}

static void
on_wrote_body_data(SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
	Exchange *ex = user_data;

	ex->unwritten -= MIN(ex->unwritten, chunk_size);
	if (ex->unwritten <= MS_GATEWAY_MAX_UNWRITTEN / 2)
		ms_gateway_request_writable(ex->request);
}

static void
soup_respond_head(gpointer front,
		  guint status,
		  const char *reason,
		  SoupMessageHeaders *headers,
		  goffset content_length)
{
	Exchange *ex = front;

	soup_server_message_set_status(ex->msg, status, reason);
	if (content_length >= 0) {
		soup_message_headers_set_content_length(headers, content_length);
	} else {
		ex->chunked = TRUE;
		soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	}
	/* a body that may be large streams through: written chunks are dropped */
	if (content_length < 0 || content_length > MS_GATEWAY_MAX_UNWRITTEN) {
		soup_message_body_set_accumulate(soup_server_message_get_response_body(ex->msg),
						 FALSE);
		ex->wrote_handler = g_signal_connect(ex->msg,
						     "wrote-body-data",
						     G_CALLBACK(on_wrote_body_data),
						     ex);
	}
	soup_server_message_unpause(ex->msg);
}

static void
soup_respond_body(gpointer front, const char *data, gsize length)
{
	Exchange *ex = front;

	soup_message_body_append(soup_server_message_get_response_body(ex->msg),
				 SOUP_MEMORY_COPY,
				 data,
				 length);
	if (ex->wrote_handler != 0)
		ex->unwritten += length;
	soup_server_message_unpause(ex->msg);
}

static void
soup_respond_end(gpointer front)
{
	Exchange *ex = front;

	if (ex->chunked)
		soup_message_body_complete(soup_server_message_get_response_body(ex->msg));
	soup_server_message_unpause(ex->msg);
}

static void
soup_cut(gpointer front)
{
	Exchange *ex = front;
	GSocket *socket = soup_server_message_get_socket(ex->msg);

	if (socket != NULL)
		g_socket_shutdown(socket, TRUE, TRUE, NULL);
}

static gsize
soup_get_unwritten(gpointer front)
{
	Exchange *ex = front;

	return ex->unwritten;
}

static const MsGatewayFrontClass soup_front_class = {
	.respond_head = soup_respond_head,
	.respond_body = soup_respond_body,
	.respond_end = soup_respond_end,
	.cut = soup_cut,
	.get_unwritten = soup_get_unwritten,
};

static void
on_request_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	Exchange *ex = user_data;
	SoupMessageBody *body;

	ex->chunked_bytes += g_bytes_get_size(chunk);
	if (ex->too_large ||
	    ex->chunked_bytes <= ms_gateway_request_get_max_body_bytes(ex->request))
		return;
	/* over the limit: stop keeping what still arrives, and answer 413 */
	ex->too_large = TRUE;
	body = soup_server_message_get_request_body(msg);
	soup_message_body_set_accumulate(body, FALSE);
	soup_message_body_truncate(body);
}

static void
early_handler(SoupServer *server,
	      SoupServerMessage *msg,
	      const char *path,
	      GHashTable *query,
	      gpointer user_data)
{
	SoupFront *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	GUri *uri = soup_server_message_get_uri(msg);
	Exchange *ex = g_new0(Exchange, 1);
	MsGatewayRequestHead head = {
		.method = g_intern_string(soup_server_message_get_method(msg)),
		.path = g_uri_get_path(uri),
		.query = g_uri_get_query(uri),
		.remote_addr = soup_server_message_get_remote_host(msg),
		.http_version = soup_server_message_get_http_version(msg),
		.headers = headers,
		.response_headers = soup_server_message_get_response_headers(msg),
	};

	ex->msg = msg;
	g_hash_table_insert(self->exchanges, msg, ex);
	ex->request = ms_gateway_request_begin(self->worker, &soup_front_class, ex, &head);
	switch (soup_message_headers_get_encoding(headers)) {
	case SOUP_ENCODING_CONTENT_LENGTH:
		if ((guint64)soup_message_headers_get_content_length(headers) >
		    ms_gateway_request_get_max_body_bytes(ex->request)) {
			/* the body is not kept; libsoup closes rather than read it */
			ex->too_large = TRUE;
			soup_message_body_set_accumulate(soup_server_message_get_request_body(msg),
							 FALSE);
			ms_gateway_request_reject_body(ex->request);
		}
		break;
	case SOUP_ENCODING_CHUNKED:
		g_signal_connect(msg, "got-chunk", G_CALLBACK(on_request_chunk), ex);
		break;
	default:
		break;
	}
}

static void
handler(SoupServer *server,
	SoupServerMessage *msg,
	const char *path,
	GHashTable *query,
	gpointer user_data)
{
	SoupFront *self = user_data;
	Exchange *ex = g_hash_table_lookup(self->exchanges, msg);
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	g_autoptr(GBytes) bytes = NULL;

	if (ex == NULL || ms_gateway_request_get_status(ex->request) != 0)
		return;
	ex->held = TRUE;
	g_object_ref(msg);
	soup_server_message_pause(msg);
	if (ex->too_large) {
		ms_gateway_request_reject_body(ex->request);
		return;
	}
	if (body->length > 0)
		bytes = soup_message_body_flatten(body);
	ms_gateway_request_handle(ex->request, bytes);
}

static void
on_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	SoupFront *self = user_data;
	Exchange *ex = NULL;

	if (g_hash_table_steal_extended(self->exchanges, msg, NULL, (gpointer *)&ex)) {
		ms_gateway_request_finish(ex->request, FALSE);
		exchange_free(ex);
		return;
	}
	/* a request libsoup refused before its headers were parsed (400, 431) still counts */
	if (soup_server_message_get_status(msg) != 0) {
		MsGatewayRequestHead head = {
			.remote_addr = soup_server_message_get_remote_host(msg),
			.headers = soup_server_message_get_request_headers(msg),
			.response_headers = soup_server_message_get_response_headers(msg),
		};
		MsGatewayRequest *request =
			ms_gateway_request_begin(self->worker, &soup_front_class, NULL, &head);
		request->status = soup_server_message_get_status(msg);
		ms_gateway_request_finish(request, FALSE);
	}
}

static void
on_request_aborted(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	SoupFront *self = user_data;
	Exchange *ex = NULL;

	if (!g_hash_table_steal_extended(self->exchanges, msg, NULL, (gpointer *)&ex))
		return;
	ms_gateway_request_finish(ex->request, TRUE);
	exchange_free(ex);
}

gpointer
ms_gateway_soup_front_new(MsGatewayWorker *worker, SoupServer *server)
{
	SoupFront *self = g_new0(SoupFront, 1);

	self->worker = worker;
	self->server = g_object_ref(server);
	self->exchanges = g_hash_table_new(NULL, NULL);
	soup_server_add_early_handler(server, NULL, early_handler, self, NULL);
	soup_server_add_handler(server, NULL, handler, self, NULL);
	g_signal_connect(server, "request-finished", G_CALLBACK(on_request_finished), self);
	g_signal_connect(server, "request-aborted", G_CALLBACK(on_request_aborted), self);
	return self;
}

void
ms_gateway_soup_front_free(gpointer soup_front)
{
	SoupFront *self = soup_front;

	g_signal_handlers_disconnect_by_data(self->server, self);
	soup_server_remove_handler(self->server, NULL);
	g_object_unref(self->server);
	g_hash_table_unref(self->exchanges);
	g_free(self);
}

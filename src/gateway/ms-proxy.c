#include "config.h"

#include "ms-gateway-private.h"

#include "common/ms-http-header.h"
#include "common/ms-i18n.h"
#include "common/ms-request-id.h"
#include "ms-route-table.h"

/*
 * The proxy half of a request: write the upstream request head from the
 * client's (end-to-end headers only), then turn the upstream's response into
 * the SoupServerMessage's, streaming the body as it arrives.
 */

/* response bytes kept for a slow client before the upstream is read again */
#define MS_PROXY_MAX_UNWRITTEN (256 * 1024)

/*
 * RFC 9110 §7.6.1 hop-by-hop fields, plus those the gateway sets itself. This
 * runs for every header of every request and response: a switch on the first
 * letter leaves one or two comparisons per header instead of a dozen.
 */
static gboolean
name_is(const char *name, const char *expected)
{
	return g_ascii_strcasecmp(name, expected) == 0;
}

static gboolean
is_request_skipped(const char *name)
{
	switch (name[0]) {
	case 'H':
	case 'h':
		return name_is(name, "Host");
	case 'A':
	case 'a':
		/* credentials stay at the gateway (issue 5) */
		return name_is(name, "Authorization");
	case 'E':
	case 'e':
		return name_is(name, "Expect");
	case 'X':
	case 'x':
		return name_is(name, "X-Forwarded-For") || name_is(name, "X-Forwarded-Proto");
	default:
		return ms_http_header_is_hop_by_hop(name);
	}
}

static gboolean
is_response_skipped(const char *name)
{
	/* Date and Server are the gateway's own, like nginx's; X-Request-ID is ours */
	switch (name[0]) {
	case 'D':
	case 'd':
		return name_is(name, "Date");
	case 'S':
	case 's':
		return name_is(name, "Server");
	case 'X':
	case 'x':
		return name_is(name, MS_REQUEST_ID_HEADER);
	default:
		return ms_http_header_is_hop_by_hop(name);
	}
}

/* "Connection: close, X-Foo" names X-Foo as hop-by-hop too */
static gboolean
is_connection_listed(SoupMessageHeaders *headers, const char *connection, const char *name)
{
	if (connection == NULL)
		return FALSE;
	return soup_message_headers_header_contains(headers, "Connection", name);
}

static gboolean
is_idempotent(const char *method)
{
	return method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD ||
	       method == SOUP_METHOD_PUT || method == SOUP_METHOD_DELETE ||
	       method == SOUP_METHOD_OPTIONS;
}

/**
 * ms_proxy_write_request_line:
 * @path: the upstream path, without query
 * @query: (nullable): the query, without '?'
 * @route: the route whose upstream is asked
 *
 * Starts an upstream request head: the request line and Host.
 */
void
ms_proxy_write_request_line(GString *out,
			    const char *method,
			    const char *path,
			    const char *query,
			    const MsRoute *route)
{
	g_string_append(out, method);
	g_string_append_c(out, ' ');
	g_string_append(out, path);
	if (query != NULL) {
		g_string_append_c(out, '?');
		g_string_append(out, query);
	}
	g_string_append(out, " HTTP/1.1\r\nHost: ");
	g_string_append(out, route->upstream_authority);
	g_string_append(out, "\r\n");
}

/**
 * ms_proxy_write_forwarded:
 *
 * Appends X-Forwarded-For (the client's chain, then its address) and
 * X-Forwarded-Proto for the upstream request made for @msg.
 */
void
ms_proxy_write_forwarded(SoupServerMessage *msg, GString *out)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const char *forwarded = soup_message_headers_get_list(headers, "X-Forwarded-For");
	const char *remote = soup_server_message_get_remote_host(msg);

	g_string_append(out, "X-Forwarded-For: ");
	if (forwarded != NULL) {
		g_string_append(out, forwarded);
		g_string_append(out, ", ");
	}
	g_string_append(out, remote != NULL ? remote : "unknown");
	g_string_append(out, "\r\nX-Forwarded-Proto: http\r\n");
}

static void
write_request_head(MsGatewayRequest *request, GString *out)
{
	SoupServerMessage *msg = request->msg;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const char *connection = soup_message_headers_get_list(headers, "Connection");
	GUri *uri = soup_server_message_get_uri(msg);
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	ms_proxy_write_request_line(out,
				    soup_server_message_get_method(msg),
				    ms_route_table_upstream_path(g_uri_get_path(uri)),
				    g_uri_get_query(uri),
				    request->route);
	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (is_request_skipped(name) || is_connection_listed(headers, connection, name))
			continue;
		g_string_append(out, name);
		g_string_append(out, ": ");
		g_string_append(out, value);
		g_string_append(out, "\r\n");
	}
	ms_proxy_write_forwarded(msg, out);
	if (request->body != NULL) {
		g_string_append_printf(out,
				       "Content-Length: %" G_GSIZE_FORMAT "\r\n",
				       g_bytes_get_size(request->body));
	}
	g_string_append(out, "\r\n");
}

static void
on_wrote_body_data(SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
	MsGatewayRequest *request = user_data;

	request->unwritten -= MIN(request->unwritten, chunk_size);
	if (request->conn != NULL && request->unwritten <= MS_PROXY_MAX_UNWRITTEN / 2)
		ms_upstream_conn_set_reading(request->conn, TRUE);
}

static void
on_head(gpointer user_data,
	guint status,
	const char *reason,
	SoupMessageHeaders *upstream_headers,
	goffset content_length)
{
	MsGatewayRequest *request = user_data;
	SoupServerMessage *msg = request->msg;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	const char *connection = soup_message_headers_get_list(upstream_headers, "Connection");
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	request->responded = TRUE;
	if (request->tap != NULL &&
	    !request->tap->head(request->tap_data, status, upstream_headers))
		request->tap = NULL;
	soup_server_message_set_status(msg, status, reason);
	soup_message_headers_iter_init(&iter, upstream_headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (is_response_skipped(name) ||
		    is_connection_listed(upstream_headers, connection, name))
			continue;
		soup_message_headers_append(headers, name, value);
	}
	if (content_length >= 0) {
		soup_message_headers_set_content_length(headers, content_length);
	} else {
		request->chunked_response = TRUE;
		soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	}
	/*
	 * a body that may be large streams through: written chunks are dropped, and
	 * writes are counted so a slow client holds the upstream back (flow control)
	 */
	if (content_length < 0 || content_length > MS_PROXY_MAX_UNWRITTEN) {
		soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
		request->wrote_handler = g_signal_connect(msg,
							  "wrote-body-data",
							  G_CALLBACK(on_wrote_body_data),
							  request);
	}
	soup_server_message_unpause(msg);
}

static void
on_body(gpointer user_data, const char *data, gsize length)
{
	MsGatewayRequest *request = user_data;

	if (request->tap != NULL)
		request->tap->body(request->tap_data, data, length);
	soup_message_body_append(soup_server_message_get_response_body(request->msg),
				 SOUP_MEMORY_COPY,
				 data,
				 length);
	soup_server_message_unpause(request->msg);
	request->unwritten += length;
	/* the client is slower than the upstream: wait for it */
	if (request->wrote_handler != 0 && request->conn != NULL &&
	    request->unwritten > MS_PROXY_MAX_UNWRITTEN)
		ms_upstream_conn_set_reading(request->conn, FALSE);
}

static void
request_release(MsGatewayRequest *request)
{
	SoupServerMessage *msg = request->msg;

	request->conn = NULL;
	g_clear_pointer(&request->body, g_bytes_unref);
	soup_server_message_unpause(msg);
	g_object_unref(msg);
}

static void
on_done(gpointer user_data)
{
	MsGatewayRequest *request = user_data;

	if (request->tap != NULL)
		request->tap->done(request->tap_data);
	if (request->chunked_response)
		soup_message_body_complete(soup_server_message_get_response_body(request->msg));
	request_release(request);
}

static void
cut_client(SoupServerMessage *msg)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	/* the status is already on the wire: only a broken connection tells the client */
	if (socket != NULL)
		g_socket_shutdown(socket, TRUE, TRUE, NULL);
}

static gboolean
proxy_send(MsGatewayRequest *request, gboolean fresh);

static void
on_failed(gpointer user_data, MsUpstreamFailure failure, gboolean retryable, const char *message)
{
	MsGatewayRequest *request = user_data;
	SoupServerMessage *msg = request->msg;
	guint status = failure == MS_UPSTREAM_FAILURE_TIMEOUT ? SOUP_STATUS_GATEWAY_TIMEOUT
							      : SOUP_STATUS_BAD_GATEWAY;

	request->conn = NULL;
	/* a pooled connection the service closed while restarting: try once more */
	if (retryable && !request->retried && !request->responded &&
	    is_idempotent(soup_server_message_get_method(msg))) {
		request->retried = TRUE;
		/* on failure proxy_send answers and releases itself */
		proxy_send(request, TRUE);
		return;
	}
	ms_gateway_log_upstream_failure(request, status, message);
	request->upstream_failed = failure + 1;
	if (request->responded) {
		cut_client(msg);
	} else if (status == SOUP_STATUS_GATEWAY_TIMEOUT) {
		ms_gateway_problem(msg,
				   status,
				   "upstream_timeout",
				   N_("The service did not answer in time"),
				   NULL);
	} else {
		ms_gateway_problem(msg,
				   status,
				   "upstream_unavailable",
				   N_("The service is unavailable"),
				   NULL);
	}
	request_release(request);
}

static const MsUpstreamHandler proxy_handler = {
	.head = on_head,
	.body = on_body,
	.done = on_done,
	.failed = on_failed,
};

/* returns FALSE when the request was answered (and released) right away */
static gboolean
proxy_send(MsGatewayRequest *request, gboolean fresh)
{
	g_autoptr(GError) error = NULL;
	MsUpstreamConn *conn;

	conn = ms_upstream_pool_acquire(request->worker->pool, request->route, fresh, &error);
	if (conn == NULL) {
		ms_gateway_log_upstream_failure(request, SOUP_STATUS_BAD_GATEWAY, error->message);
		request->upstream_failed = MS_UPSTREAM_FAILURE_CONNECT + 1;
		ms_gateway_problem(request->msg,
				   SOUP_STATUS_BAD_GATEWAY,
				   "upstream_unavailable",
				   N_("The service is unavailable"),
				   NULL);
		request_release(request);
		return FALSE;
	}
	request->conn = conn;
	write_request_head(request, ms_upstream_conn_get_request_buffer(conn));
	ms_upstream_conn_start(conn,
			       request->body,
			       soup_server_message_get_method(request->msg) == SOUP_METHOD_HEAD,
			       request->route->timeout_ms,
			       &proxy_handler,
			       request);
	return TRUE;
}

/**
 * ms_proxy_start:
 *
 * Pauses the message and sends it to the route's upstream; the answer, or a
 * 502/504 problem, unpauses it.
 */
void
ms_proxy_start(MsGatewayRequest *request)
{
	SoupServerMessage *msg = request->msg;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	request->upstream = request->route->upstream;
	if (body->length > 0 ||
	    soup_message_headers_get_encoding(soup_server_message_get_request_headers(msg)) !=
		    SOUP_ENCODING_NONE)
		request->body = soup_message_body_flatten(body);
	g_object_ref(msg);
	soup_server_message_pause(msg);
	proxy_send(request, FALSE);
}

/**
 * ms_proxy_abort:
 *
 * The client went away: drop the upstream exchange too.
 */
void
ms_proxy_abort(MsGatewayRequest *request)
{
	SoupServerMessage *msg = request->msg;

	if (request->conn == NULL)
		return;
	ms_upstream_conn_abandon(request->conn);
	request->conn = NULL;
	g_clear_pointer(&request->body, g_bytes_unref);
	g_object_unref(msg);
}

/**
 * ms_proxy_finish:
 *
 * The message is done: drop what watched its writes.
 */
void
ms_proxy_finish(MsGatewayRequest *request)
{
	if (request->wrote_handler != 0)
		g_signal_handler_disconnect(request->msg, request->wrote_handler);
	request->wrote_handler = 0;
}

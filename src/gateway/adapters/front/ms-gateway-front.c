#include "config.h"

#include "gateway/adapters/front/ms-gateway-front-private.h"
#include "gateway/core/ms-http-target.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/*
 * The reading half of the front: client connections, request heads and
 * bodies, keep-alive, timeouts and the drain on stop. Each connection is one
 * GSource (can-recurse: no block/unblock, so no wakeup write per dispatch)
 * on its socket; recv() and send() go to the fd directly.
 *
 * Timeouts are the source's ready time, moved lazily: a later deadline is
 * left for the armed one to find when it fires (g_source_set_ready_time()
 * wakes the context up, so it is not called per request); only an earlier
 * one is armed at once.
 *
 * A head that never completes is closed quietly after 30 s (no request began,
 * nothing to log); a body that does not arrive in 30 s from the request's first
 * byte ends its request as aborted (logged like a client that went away).
 */

#define FRONT_READ_BYTES        16384
#define FRONT_READ_TIMEOUT_USEC (30 * G_USEC_PER_SEC)
#define FRONT_IDLE_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
#define FRONT_LINGER_USEC       (2 * G_USEC_PER_SEC)
/* a body buffer grows as data arrives, not to what a client declares */
#define FRONT_BODY_PREALLOC_BYTES (64 * 1024)

static void
front_conn_process(FrontConn *conn);

/* --- deadlines and events -------------------------------------------------------------- */

void
front_conn_arm(FrontConn *conn)
{
	gint64 armed = g_source_get_ready_time(&conn->source);

	if (conn->deadline != -1 && (armed == -1 || conn->deadline < armed))
		g_source_set_ready_time(&conn->source, conn->deadline);
}

static void
conn_set_deadline(FrontConn *conn, gint64 deadline)
{
	conn->deadline = deadline;
	front_conn_arm(conn);
}

/* the read deadline starts with the first byte of a request that is not whole yet */
static void
conn_start_timing(FrontConn *conn)
{
	if (conn->timing)
		return;
	conn->timing = TRUE;
	conn_set_deadline(conn, g_get_monotonic_time() + FRONT_READ_TIMEOUT_USEC);
}

void
front_conn_set_events(FrontConn *conn, GIOCondition events)
{
	if (conn->events == events || conn->state == FRONT_CONN_CLOSED)
		return;
	conn->events = events;
	g_source_modify_unix_fd(&conn->source, conn->tag, events);
}

/* work for the connection's own dispatch: never from inside a core callback */
void
front_conn_wake(FrontConn *conn)
{
	conn->woken = TRUE;
	g_source_set_ready_time(&conn->source, 0);
}

/* --- input ----------------------------------------------------------------------------- */

static gsize
conn_buffered(FrontConn *conn)
{
	return conn->in->len - conn->in_start;
}

/*
 * Emptied: a buffer that grew for one large head (up to a 431) or a pipelined
 * burst goes back to its usual size, so an idle connection does not keep the
 * largest input it ever had; the usual size is what conn_recv() needs with a
 * partial head of up to FRONT_READ_BYTES left over.
 */
static void
conn_reset_input(FrontConn *conn)
{
	conn->in_start = 0;
	if (conn->in->allocated_len <= 2 * FRONT_READ_BYTES) {
		g_string_truncate(conn->in, 0);
		return;
	}
	g_string_free(conn->in, TRUE);
	conn->in = g_string_sized_new(FRONT_READ_BYTES);
}

static void
conn_consume(FrontConn *conn, gsize n)
{
	conn->in_start += n;
	if (conn->in_start == conn->in->len)
		conn_reset_input(conn);
}

static void
conn_drop_input(FrontConn *conn)
{
	conn_reset_input(conn);
	conn->head_scanned = 0;
}

static gboolean
conn_wants_input(FrontConn *conn)
{
	switch (conn->state) {
	case FRONT_CONN_HEAD:
	case FRONT_CONN_BODY:
	case FRONT_CONN_LINGERING:
		return TRUE;
	case FRONT_CONN_ADMITTING:
		/* the body waits in the buffer for the core's word, up to a head's worth */
		return !conn->eof && conn_buffered(conn) < MS_HTTP_MAX_HEAD_BYTES;
	case FRONT_CONN_ANSWERING:
		/* pipelined requests wait in the buffer, up to one head's worth */
		return !conn->eof && conn_buffered(conn) < MS_HTTP_MAX_HEAD_BYTES;
	case FRONT_CONN_CLOSED:
	default:
		return FALSE;
	}
}

/* Returns: bytes read, 0 at the end of the stream, -1 with errno set */
static gssize
conn_recv(FrontConn *conn)
{
	gsize old;
	gssize n;

	if (conn->in_start > 0) {
		g_string_erase(conn->in, 0, (gssize)conn->in_start);
		conn->in_start = 0;
	}
	old = conn->in->len;
	g_string_set_size(conn->in, old + FRONT_READ_BYTES);
	do
		n = recv(conn->fd, conn->in->str + old, FRONT_READ_BYTES, 0);
	while (n < 0 && errno == EINTR);
	g_string_set_size(conn->in, old + (n > 0 ? (gsize)n : 0));
	return n;
}

/* --- requests -------------------------------------------------------------------------- */

static void
conn_begin(FrontConn *conn)
{
	const char *known = conn->method != NULL ? ms_http_method_intern(conn->method) : NULL;
	MsGatewayRequestHead head = {
		/* a method the gateway does not know stays the connection's: never interned */
		.method = known != NULL ? known : conn->method,
		.path = conn->path,
		.query = conn->query,
		.remote_addr = conn->remote,
		.http_version = conn->version,
		.headers = conn->headers,
		.response_headers = conn->response_headers,
	};

	conn->head_method = head.method == SOUP_METHOD_HEAD;
	conn->state = FRONT_CONN_ANSWERING;
	conn->request =
		ms_gateway_request_begin(conn->front->worker, &ms_gateway_front_class, conn, &head);
}

/* the request cannot be read: refused, answered, then the connection closes */
static void
conn_refuse(FrontConn *conn, MsHttpError error)
{
	conn->close_after = TRUE;
	conn->linger = TRUE;
	conn->body_unread = FALSE;
	conn->state = FRONT_CONN_ANSWERING;
	conn_drop_input(conn);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	ms_gateway_request_refuse(conn->request, error);
}

static void
conn_handle(FrontConn *conn)
{
	g_autoptr(GBytes) body = NULL;

	if (conn->body != NULL && conn->body->len > 0)
		body = g_byte_array_free_to_bytes(g_steal_pointer(&conn->body));
	g_clear_pointer(&conn->body, g_byte_array_unref);
	conn->state = FRONT_CONN_ANSWERING;
	conn->timing = FALSE;
	/* lazily: the upstream's own timeout bounds the wait */
	conn->deadline = -1;
	ms_gateway_request_handle(conn->request, body);
}

/* RFC 9110 §10.1.1: ask for the body only when it will be taken */
static void
conn_maybe_continue(FrontConn *conn)
{
	if (conn_buffered(conn) == 0 && conn->expect_continue)
		front_conn_write_continue(conn);
}

/* Returns: %TRUE when the request moved on */
static gboolean
conn_start_body(FrontConn *conn)
{
	guint64 max = ms_gateway_request_get_max_body_bytes(conn->request);

	conn->body_unread = FALSE;
	switch (conn->body_kind) {
	case MS_HTTP_BODY_LENGTH:
		if (conn->body_length == 0)
			break;
		if (conn->body_length > max) {
			conn_refuse(conn, MS_HTTP_ERROR_BODY_TOO_LARGE);
			return TRUE;
		}
		conn->body = g_byte_array_sized_new(
			(guint)MIN(conn->body_length, FRONT_BODY_PREALLOC_BYTES));
		conn->state = FRONT_CONN_BODY;
		conn_maybe_continue(conn);
		return TRUE;
	case MS_HTTP_BODY_CHUNKED:
		ms_http_chunked_decoder_init(&conn->chunked, max);
		conn->body = g_byte_array_new();
		conn->state = FRONT_CONN_BODY;
		conn_maybe_continue(conn);
		return TRUE;
	case MS_HTTP_BODY_NONE:
	default:
		break;
	}
	conn_handle(conn);
	return TRUE;
}

/*
 * the target made canonical once, here: the core routes on it and forwards
 * it; an absolute-form target's authority must be a valid host (RFC 9112 §3.2.2)
 */
static MsHttpError
take_target(FrontConn *conn)
{
	return ms_http_target_normalize(conn->target, &conn->path, &conn->query, NULL);
}

/**
 * front_read_body:
 *
 * The core admitted the request: read its body, asking for it first when the
 * client waits for "100 Continue". From inside ms_gateway_request_admit() the
 * processing loop goes on by itself; later (a password was checked on a
 * thread) the connection's own dispatch takes what is buffered.
 */
void
front_read_body(FrontConn *conn)
{
	if (conn->state != FRONT_CONN_ADMITTING)
		return;
	conn->state = FRONT_CONN_ANSWERING;
	conn_start_body(conn);
	if (conn->state == FRONT_CONN_BODY && !conn->processing) {
		front_conn_set_events(conn, conn->events | G_IO_IN);
		front_conn_wake(conn);
	}
}

/* Returns: %TRUE when the request moved on, %FALSE when more input is needed */
static gboolean
conn_take_head(FrontConn *conn)
{
	const char *data = conn->in->str + conn->in_start;
	gsize length = conn_buffered(conn);
	gsize skip = ms_http_skip_empty_lines(data, length);
	gsize head_length = 0;
	MsHttpHeadStatus found;
	MsHttpError error;

	if (skip > 0) {
		conn_consume(conn, skip);
		conn->head_scanned = 0;
		data += skip;
		length -= skip;
	}
	if (length == 0)
		return FALSE;
	found = ms_http_head_find(data,
				  length,
				  MS_HTTP_MAX_HEAD_BYTES,
				  &conn->head_scanned,
				  &head_length);
	if (found == MS_HTTP_HEAD_INCOMPLETE) {
		conn_start_timing(conn);
		return FALSE;
	}
	conn->head_scanned = 0;
	soup_message_headers_clear(conn->headers);
	soup_message_headers_clear(conn->response_headers);
	g_clear_pointer(&conn->method, g_free);
	g_clear_pointer(&conn->target, g_free);
	g_clear_pointer(&conn->path, g_free);
	g_clear_pointer(&conn->query, g_free);
	conn->version = SOUP_HTTP_1_1;
	conn->body_kind = MS_HTTP_BODY_NONE;
	conn->expect_continue = FALSE;
	conn->body_unread = FALSE;
	if (found == MS_HTTP_HEAD_TOO_LARGE) {
		conn_begin(conn);
		conn_refuse(conn, MS_HTTP_ERROR_HEAD_TOO_LARGE);
		return TRUE;
	}
	error = ms_http_head_parse(data,
				   head_length,
				   conn->headers,
				   &conn->method,
				   &conn->target,
				   &conn->version);
	conn_consume(conn, head_length);
	if (error == MS_HTTP_OK)
		error = take_target(conn);
	if (error == MS_HTTP_OK)
		error = ms_http_body_framing(conn->headers,
					     conn->version,
					     &conn->body_kind,
					     &conn->body_length);
	conn->close_after =
		conn->front->stopping || ms_http_wants_close(conn->headers, conn->version);
	conn->expect_continue = ms_http_expects_continue(conn->headers, conn->version);
	conn_begin(conn);
	if (error != MS_HTTP_OK) {
		conn_refuse(conn, error);
		return TRUE;
	}
	conn->body_unread = conn->body_kind == MS_HTTP_BODY_CHUNKED ||
			    (conn->body_kind == MS_HTTP_BODY_LENGTH && conn->body_length > 0);
	conn->state = FRONT_CONN_ADMITTING;
	/* the core answers, or calls front_read_body(), maybe before this returns */
	ms_gateway_request_admit(conn->request);
	return TRUE;
}

/* Returns: %TRUE when the request moved on, %FALSE when more input is needed */
static gboolean
conn_take_body(FrontConn *conn)
{
	const char *data = conn->in->str + conn->in_start;
	gsize length = conn_buffered(conn);
	gsize consumed = 0;

	if (conn->body_kind == MS_HTTP_BODY_LENGTH) {
		gsize n = (gsize)MIN((guint64)length, conn->body_length - conn->body->len);

		g_byte_array_append(conn->body, (const guint8 *)data, (guint)n);
		conn_consume(conn, n);
		if (conn->body->len == conn->body_length) {
			conn_handle(conn);
			return TRUE;
		}
		conn_start_timing(conn);
		return FALSE;
	}
	switch (ms_http_chunked_decoder_feed(&conn->chunked, data, length, &consumed, conn->body)) {
	case MS_HTTP_CHUNKED_DONE:
		conn_consume(conn, consumed);
		conn_handle(conn);
		return TRUE;
	case MS_HTTP_CHUNKED_INVALID:
		conn_refuse(conn, MS_HTTP_ERROR_CHUNKED);
		return TRUE;
	case MS_HTTP_CHUNKED_TOO_LARGE:
		conn_refuse(conn, MS_HTTP_ERROR_BODY_TOO_LARGE);
		return TRUE;
	case MS_HTTP_CHUNKED_MORE:
	default:
		conn_consume(conn, consumed);
		conn_start_timing(conn);
		return FALSE;
	}
}

/* reads what the buffer holds, request after request, until it needs more or waits */
static void
front_conn_process(FrontConn *conn)
{
	if (conn->processing)
		return;
	conn->processing = TRUE;
	g_source_ref(&conn->source);
	for (;;) {
		gboolean moved;

		if (conn->state == FRONT_CONN_HEAD)
			moved = conn_take_head(conn);
		else if (conn->state == FRONT_CONN_BODY)
			moved = conn_take_body(conn);
		else
			break;
		if (!moved) {
			/* the client shut its side while the core decided: the body is short */
			if (conn->state == FRONT_CONN_BODY && conn->eof)
				front_conn_close(conn, TRUE);
			break;
		}
	}
	conn->processing = FALSE;
	g_source_unref(&conn->source);
}

/* answered and shut down for writing: what the client still sends is read and dropped */
static void
conn_linger(FrontConn *conn)
{
	if (!conn->linger && conn_buffered(conn) == 0) {
		front_conn_close(conn, FALSE);
		return;
	}
	if (shutdown(conn->fd, SHUT_WR) != 0) {
		front_conn_close(conn, FALSE);
		return;
	}
	/*
	 * RFC 9112 §9.6: closing with unread input would reset the connection and
	 * could take the answer with it
	 */
	conn->state = FRONT_CONN_LINGERING;
	conn_drop_input(conn);
	conn_set_deadline(conn, g_get_monotonic_time() + FRONT_LINGER_USEC);
	front_conn_set_events(conn, G_IO_IN);
}

/* the whole answer is written: the request ends, the connection goes on or closes */
void
front_conn_answer_written(FrontConn *conn)
{
	MsGatewayRequest *request = g_steal_pointer(&conn->request);

	front_conn_reset_response(conn);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	if (request != NULL)
		ms_gateway_request_finish(request, FALSE);
	/* the next head clears them anyway; an idle connection need not keep a large one */
	soup_message_headers_clear(conn->headers);
	soup_message_headers_clear(conn->response_headers);
	if (conn->close_after || conn->front->stopping) {
		conn_linger(conn);
		return;
	}
	conn->state = FRONT_CONN_HEAD;
	conn->timing = FALSE;
	conn_set_deadline(conn, g_get_monotonic_time() + FRONT_IDLE_TIMEOUT_USEC);
	front_conn_set_events(conn, conn->events | G_IO_IN);
	/* a pipelined request: from the connection's own dispatch, not the caller's */
	if (!conn->processing && conn_buffered(conn) > 0)
		front_conn_wake(conn);
}

/* --- the connection's source ------------------------------------------------------------ */

static void
conn_eof(FrontConn *conn)
{
	switch (conn->state) {
	case FRONT_CONN_ANSWERING:
		if (conn->close_after) {
			/* a half-close after the last request: the answer still goes out */
			conn->eof = TRUE;
			front_conn_set_events(conn, conn->events & ~G_IO_IN);
			return;
		}
		front_conn_close(conn, TRUE);
		return;
	case FRONT_CONN_ADMITTING:
		/* what the client sent may be all there is: the core still answers */
		conn->eof = TRUE;
		front_conn_set_events(conn, conn->events & ~G_IO_IN);
		return;
	case FRONT_CONN_BODY:
		front_conn_close(conn, TRUE);
		return;
	default:
		front_conn_close(conn, FALSE);
		return;
	}
}

static void
conn_read_ready(FrontConn *conn, GIOCondition revents)
{
	if (!(conn->events & G_IO_IN)) {
		/* not reading, yet the peer hung up or failed */
		if (revents & (G_IO_HUP | G_IO_ERR))
			front_conn_close(conn, TRUE);
		return;
	}
	while (conn_wants_input(conn)) {
		gssize n = conn_recv(conn);

		if (n == 0) {
			conn_eof(conn);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			front_conn_close(conn, TRUE);
			return;
		}
		if (conn->state == FRONT_CONN_LINGERING ||
		    (conn->state == FRONT_CONN_ANSWERING && conn->close_after))
			conn_drop_input(conn);
		else
			front_conn_process(conn);
		if (conn->state == FRONT_CONN_CLOSED)
			return;
		/* a short read took all there was */
		if (n < FRONT_READ_BYTES)
			break;
	}
	if (conn->state == FRONT_CONN_CLOSED)
		return;
	if (conn_wants_input(conn))
		front_conn_set_events(conn, conn->events | G_IO_IN);
	else
		front_conn_set_events(conn, conn->events & ~G_IO_IN);
}

static void
conn_write_ready(FrontConn *conn)
{
	gsize unwritten;

	if (!front_conn_flush(conn)) {
		front_conn_close(conn, TRUE);
		return;
	}
	unwritten = conn->out->len - conn->out_start;
	if (conn->throttled && unwritten <= MS_GATEWAY_MAX_UNWRITTEN / 2 && conn->request != NULL &&
	    !conn->answered) {
		conn->throttled = FALSE;
		ms_gateway_request_writable(conn->request);
	}
	if (conn->state == FRONT_CONN_ANSWERING && conn->answered &&
	    conn->out->len == conn->out_start)
		front_conn_answer_written(conn);
}

static void
conn_expire(FrontConn *conn)
{
	switch (conn->state) {
	case FRONT_CONN_ADMITTING:
	case FRONT_CONN_BODY:
	case FRONT_CONN_ANSWERING:
		/* a body that does not come, or an answer the client does not read */
		front_conn_close(conn, TRUE);
		return;
	default:
		/* an idle connection, a head that does not complete, a linger that is over */
		front_conn_close(conn, FALSE);
		return;
	}
}

static gboolean
conn_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	FrontConn *conn = (FrontConn *)source;
	GIOCondition revents = g_source_query_unix_fd(source, conn->tag);
	gint64 armed = g_source_get_ready_time(source);

	if (conn->state == FRONT_CONN_CLOSED)
		return G_SOURCE_REMOVE;
	if (armed != -1 && armed <= g_source_get_time(source)) {
		if (conn->deadline != -1 && conn->deadline <= g_source_get_time(source)) {
			conn_expire(conn);
			return G_SOURCE_REMOVE;
		}
		g_source_set_ready_time(source, conn->deadline);
	}
	if (conn->broken) {
		front_conn_close(conn, TRUE);
		return G_SOURCE_REMOVE;
	}
	if (revents & G_IO_OUT)
		conn_write_ready(conn);
	if (conn->state != FRONT_CONN_CLOSED && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		conn_read_ready(conn, revents);
	if (conn->state != FRONT_CONN_CLOSED && conn->woken) {
		conn->woken = FALSE;
		front_conn_process(conn);
	}
	return conn->state == FRONT_CONN_CLOSED ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
conn_finalize(GSource *source)
{
	FrontConn *conn = (FrontConn *)source;

	g_socket_close(conn->socket, NULL);
	g_object_unref(conn->socket);
	g_free(conn->remote);
	g_free(conn->method);
	g_free(conn->target);
	g_free(conn->path);
	g_free(conn->query);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	soup_message_headers_unref(conn->headers);
	soup_message_headers_unref(conn->response_headers);
	g_string_free(conn->in, TRUE);
	g_string_free(conn->out, TRUE);
}

static GSourceFuncs conn_funcs = {
	.dispatch = conn_dispatch,
	.finalize = conn_finalize,
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

/**
 * front_conn_close:
 * @client_gone: how the request in flight, if any, ends
 *
 * Closes the connection; @conn may be freed when this returns.
 */
void
front_conn_close(FrontConn *conn, gboolean client_gone)
{
	MsGatewayFront *front = conn->front;
	MsGatewayRequest *request = g_steal_pointer(&conn->request);

	if (conn->state == FRONT_CONN_CLOSED)
		return;
	conn->state = FRONT_CONN_CLOSED;
	if (request != NULL)
		ms_gateway_request_finish(request, client_gone);
	g_source_destroy(&conn->source);
	/* the table's reference may be the last one */
	g_hash_table_remove(front->connections, conn);
	g_atomic_int_set(&front->n_connections, (gint)g_hash_table_size(front->connections));
	front_maybe_empty(front);
}

/* the peer's address as text: IPv4-mapped IPv6 as plain IPv4, for the loopback checks */
static char *
remote_address_string(GSocket *client)
{
	g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(client, NULL);
	g_autofree char *text = NULL;

	if (!G_IS_INET_SOCKET_ADDRESS(remote))
		return NULL;
	text = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
	if (g_str_has_prefix(text, "::ffff:") && strchr(text, '.') != NULL)
		return g_strdup(text + strlen("::ffff:"));
	return g_steal_pointer(&text);
}

/**
 * ms_gateway_front_accept:
 * @client: a connected socket; the front takes a reference
 *
 * Serves HTTP/1.1 on @client from the front's main context.
 */
void
ms_gateway_front_accept(MsGatewayFront *self, GSocket *client)
{
	FrontConn *conn = (FrontConn *)g_source_new(&conn_funcs, sizeof(FrontConn));

	conn->front = self;
	conn->socket = g_object_ref(client);
	conn->fd = g_socket_get_fd(client);
	conn->remote = remote_address_string(client);
	conn->in = g_string_sized_new(FRONT_READ_BYTES);
	conn->out = g_string_sized_new(4096);
	conn->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	conn->response_headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	conn->version = SOUP_HTTP_1_1;
	conn->state = FRONT_CONN_HEAD;
	conn->events = G_IO_IN;
	/* the first request has as long as any to arrive */
	conn->timing = TRUE;
	conn->deadline = g_get_monotonic_time() + FRONT_READ_TIMEOUT_USEC;
	g_socket_set_blocking(client, FALSE);
	g_source_set_ready_time(&conn->source, conn->deadline);
	g_source_set_can_recurse(&conn->source, TRUE);
	g_source_set_static_name(&conn->source, "microsoup front connection");
	conn->tag = g_source_add_unix_fd(&conn->source, conn->fd, conn->events);
	g_source_attach(&conn->source, self->context);
	g_hash_table_add(self->connections, conn);
	g_atomic_int_set(&self->n_connections, (gint)g_hash_table_size(self->connections));
	if (self->stopping)
		front_conn_close(conn, FALSE);
}

MsGatewayFront *
ms_gateway_front_new(MsGatewayWorker *worker, GMainContext *context)
{
	MsGatewayFront *self = g_new0(MsGatewayFront, 1);

	self->worker = worker;
	self->context = context != NULL ? g_main_context_ref(context) : NULL;
	self->connections = g_hash_table_new_full(NULL, NULL, (GDestroyNotify)g_source_unref, NULL);
	self->listeners = g_ptr_array_new_with_free_func(g_object_unref);
	self->accept_sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	return self;
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
	g_autoptr(GPtrArray) idle = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	self->stopping = TRUE;
	front_listen_stop(self);
	self->on_empty = on_empty;
	self->on_empty_data = data;
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		FrontConn *conn = key;

		conn->close_after = TRUE;
		if (conn->state == FRONT_CONN_HEAD && conn_buffered(conn) == 0)
			g_ptr_array_add(idle, conn);
	}
	for (guint i = 0; i < idle->len; i++)
		front_conn_close(g_ptr_array_index(idle, i), FALSE);
	front_maybe_empty(self);
}

/* connections open now; any thread may ask */
guint
ms_gateway_front_get_n_connections(MsGatewayFront *self)
{
	return (guint)g_atomic_int_get(&self->n_connections);
}

/* closes whatever is still open: requests in flight end as aborted */
void
ms_gateway_front_free(MsGatewayFront *self)
{
	g_autoptr(GPtrArray) open = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	self->on_empty = NULL;
	front_listen_stop(self);
	g_ptr_array_unref(self->accept_sources);
	g_ptr_array_unref(self->listeners);
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(open, key);
	for (guint i = 0; i < open->len; i++)
		front_conn_close(g_ptr_array_index(open, i), TRUE);
	g_hash_table_unref(self->connections);
	if (self->context != NULL)
		g_main_context_unref(self->context);
	g_free(self);
}

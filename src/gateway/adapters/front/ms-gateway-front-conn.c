/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/front/ms-gateway-front-conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/adapters/events/ms-gateway-events.h"
#include "gateway/adapters/front/ms-gateway-front-output.h"
#include "gateway/adapters/http1/ms-http-framing.h"
#include "gateway/core/ms-http-target.h"

/*
 * One client connection: its requests' heads and bodies, keep-alive,
 * timeouts, the drain, and the answers the core gives through
 * MsGatewayFrontClass. Each connection is a watch in its worker's events
 * (adapters/events/ms-gateway-events.c: one epoll set and one GSource for all of a
 * worker's connections); recv() goes to the fd directly and the answers'
 * bytes go through ms-gateway-front-output.c.
 *
 * Timeouts are the watch's armed deadline, moved lazily: a later deadline is
 * left for the armed one to find when it fires, so that steady keep-alive
 * traffic arms nothing per request; only an earlier one is armed at once.
 *
 * A head that never completes is closed quietly after 30 s (no request began,
 * nothing to log); a body that does not arrive in 30 s from the request's first
 * byte ends its request as aborted (logged like a client that went away). An
 * answer is written when the output buffer passes 64 KiB, when an answer of
 * unknown length (maybe a stream) gets more, and at its end; a client that
 * reads slower is waited for with G_IO_OUT, at most 60 s without progress;
 * past half of MS_GATEWAY_MAX_UNWRITTEN the core is told when it may send more.
 */

#define CONN_READ_TIMEOUT_USEC  (30 * G_USEC_PER_SEC)
#define CONN_IDLE_TIMEOUT_USEC  (60 * G_USEC_PER_SEC)
#define CONN_WRITE_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
#define CONN_LINGER_USEC        (2 * G_USEC_PER_SEC)
/* a body buffer grows as data arrives, not to what a client declares */
#define CONN_BODY_PREALLOC_BYTES (64 * 1024)

typedef enum {
	CONN_HEAD,      /* waiting for a request head (idle when nothing is buffered) */
	CONN_ADMITTING, /* the head is read and begun; the core decides whether to take it */
	CONN_BODY,      /* the request is admitted; its body is arriving */
	CONN_ANSWERING, /* the core has the request, until its answer is written */
	CONN_LINGERING, /* answered and shut down for writing: reading what is left */
	CONN_CLOSED,
} ConnState;

struct _MsGatewayFrontConn {
	MsGatewayWatch watch; /* first: the events hand it back */
	grefcount ref_count;
	const MsGatewayFrontConnHost *host;
	GSocket *socket;
	MsGatewayLimitsSlot *slot; /* released with the socket: the connection count */
	int fd;
	GIOCondition events;
	ConnState state;
	char *remote;        /* the peer's address as text, %NULL for a Unix socket peer */
	gint64 deadline;     /* of the current state, monotonic µs; -1 for none */
	gboolean timing;     /* the read deadline of this request has started */
	gboolean processing; /* conn_process() is on the stack */
	gboolean woken;      /* the next dispatch has work: conn_wake() */
	gboolean eof;        /* the client shut down its side */
	gboolean linger;     /* unread input may follow: shut down before closing */
	gboolean draining;   /* the front stops: every answer from now on is the last */

	/*
	 * input: bytes before in_start are taken. While a read is processed it is
	 * the worker's read buffer; what is left after it waits in a buffer of
	 * the connection's own, sized to it; %NULL when nothing waits.
	 */
	GString *in;
	gsize in_start;
	gsize head_scanned;

	/* the request being read or answered */
	MsGatewayRequest *request;
	MsHttpFields *headers;          /* the worker's spares: %NULL between requests */
	MsHttpFields *response_headers; /* the worker's spares: %NULL between requests */
	MsAuthMemo auth_memo;           /* what its requests last proved */
	/* as sent, kept in the head's table; the request gets a known method's interned string */
	const char *method;
	const char *target; /* as sent, kept in the head's table */
	char *path;         /* canonical: what routes see and the upstream gets */
	char *query;
	SoupHTTPVersion version;
	gboolean close_after;
	gboolean expect_continue; /* decided from the head as sent, before the core cleans it */
	gboolean body_unread;     /* a body follows the head and nobody has read it */
	MsHttpBodyKind body_kind;
	guint64 body_length; /* Content-Length */
	GByteArray *body;
	MsHttpChunkedDecoder chunked;

	/* the answer */
	MsGatewayFrontOutput out;
	gboolean head_method;
	gboolean no_body;     /* HEAD, 1xx, 204, 304: whatever respond_body() gets is dropped */
	gboolean chunked_out; /* the answer's body goes out chunked */
	gboolean answered;    /* respond_end() or cut() came */
	gboolean broken;      /* a write failed: the client is gone */
	gboolean throttled;   /* the core may have paused: it wants ms_gateway_request_writable() */
};

static const MsGatewayFrontClass conn_front_class;

static void
conn_process(MsGatewayFrontConn *conn);

/* --- deadlines and events -------------------------------------------------------------- */

static MsGatewayFrontConn *
conn_ref(MsGatewayFrontConn *conn)
{
	g_ref_count_inc(&conn->ref_count);
	return conn;
}

static void
conn_arm(MsGatewayFrontConn *conn)
{
	gint64 armed = ms_gateway_watch_get_armed(&conn->watch);

	if (conn->deadline != -1 && (armed == -1 || conn->deadline < armed))
		ms_gateway_watch_arm(&conn->watch, conn->deadline);
}

static void
conn_set_deadline(MsGatewayFrontConn *conn, gint64 deadline)
{
	conn->deadline = deadline;
	conn_arm(conn);
}

/* the read deadline starts with the first byte of a request that is not whole yet */
static void
conn_start_timing(MsGatewayFrontConn *conn)
{
	if (conn->timing)
		return;
	conn->timing = TRUE;
	conn_set_deadline(conn, g_get_monotonic_time() + CONN_READ_TIMEOUT_USEC);
}

static void
conn_set_events(MsGatewayFrontConn *conn, GIOCondition events)
{
	if (conn->events == events || conn->state == CONN_CLOSED)
		return;
	conn->events = events;
	ms_gateway_watch_set_condition(&conn->watch, events);
}

/* work for the connection's own dispatch: never from inside a core callback */
static void
conn_wake(MsGatewayFrontConn *conn)
{
	conn->woken = TRUE;
	ms_gateway_watch_wake(&conn->watch);
}

/* --- output -------------------------------------------------------------------------- */

/**
 * conn_flush:
 *
 * Writes what the output buffer holds, or as much as the socket takes; the
 * rest waits for G_IO_OUT, with a deadline while an answer is being written.
 *
 * Returns: %FALSE when the client is gone
 */
static gboolean
conn_flush(MsGatewayFrontConn *conn)
{
	gsize before = ms_gateway_front_output_get_unwritten(&conn->out);
	gboolean waiting = (conn->events & G_IO_OUT) != 0;
	gboolean answering = conn->state == CONN_ANSWERING;

	switch (ms_gateway_front_output_flush(&conn->out, conn->fd)) {
	case MS_GATEWAY_FRONT_FLUSH_FAILED:
		return FALSE;
	case MS_GATEWAY_FRONT_FLUSH_PENDING:
		if (!waiting) {
			conn_set_events(conn, conn->events | G_IO_OUT);
			if (answering)
				conn_set_deadline(conn,
						  g_get_monotonic_time() + CONN_WRITE_TIMEOUT_USEC);
		} else if (answering &&
			   ms_gateway_front_output_get_unwritten(&conn->out) < before) {
			/* progress pushes the write deadline back; found when the armed one fires
			 */
			conn->deadline = g_get_monotonic_time() + CONN_WRITE_TIMEOUT_USEC;
		}
		return TRUE;
	case MS_GATEWAY_FRONT_FLUSH_DONE:
	default:
		if (waiting) {
			conn_set_events(conn, conn->events & ~G_IO_OUT);
			if (answering)
				conn->deadline = -1;
		}
		return TRUE;
	}
}

/* the client waits for a go-ahead before it sends the body (Expect: 100-continue) */
static void
conn_write_continue(MsGatewayFrontConn *conn)
{
	ms_gateway_front_output_append_continue(&conn->out);
	if (!conn_flush(conn)) {
		conn->broken = TRUE;
		conn_wake(conn);
	}
}

/* ready for the next answer */
static void
conn_reset_response(MsGatewayFrontConn *conn)
{
	ms_gateway_front_output_release(&conn->out);
	conn->head_method = FALSE;
	conn->no_body = FALSE;
	conn->chunked_out = FALSE;
	conn->answered = FALSE;
	conn->throttled = FALSE;
}

/* --- input ----------------------------------------------------------------------------- */

static gsize
conn_buffered(MsGatewayFrontConn *conn)
{
	return conn->in != NULL ? conn->in->len - conn->in_start : 0;
}

/* what is buffered and not taken; "" when nothing is */
static const char *
conn_input(MsGatewayFrontConn *conn)
{
	return conn->in != NULL ? conn->in->str + conn->in_start : "";
}

/* nothing is left: a buffer of the connection's own is freed, the worker's is kept */
static void
conn_reset_input(MsGatewayFrontConn *conn)
{
	conn->in_start = 0;
	if (conn->in == NULL)
		return;
	if (conn->in == conn->host->read_buffer) {
		g_string_truncate(conn->in, 0);
		return;
	}
	g_string_free(g_steal_pointer(&conn->in), TRUE);
}

static void
conn_consume(MsGatewayFrontConn *conn, gsize n)
{
	if (n == 0)
		return;
	conn->in_start += n;
	if (conn->in_start == conn->in->len)
		conn_reset_input(conn);
}

static void
conn_drop_input(MsGatewayFrontConn *conn)
{
	conn_reset_input(conn);
	conn->head_scanned = 0;
}

static gboolean
conn_wants_input(MsGatewayFrontConn *conn)
{
	switch (conn->state) {
	case CONN_HEAD:
	case CONN_BODY:
	case CONN_LINGERING:
		return TRUE;
	case CONN_ADMITTING:
		/* the body waits in the buffer for the core's word, up to a head's worth */
		return !conn->eof && conn_buffered(conn) < MS_HTTP_MAX_HEAD_BYTES;
	case CONN_ANSWERING:
		/* pipelined requests wait in the buffer, up to one head's worth */
		return !conn->eof && conn_buffered(conn) < MS_HTTP_MAX_HEAD_BYTES;
	case CONN_CLOSED:
	default:
		return FALSE;
	}
}

/**
 * conn_recv:
 *
 * Reads into the worker's read buffer: a request that arrives whole is
 * taken from there and the connection never holds a buffer of its own. When
 * bytes wait from an earlier read (a partial head or body, pipelined
 * requests), the new ones join them in the connection's buffer.
 *
 * Returns: bytes read, 0 at the end of the stream, -1 with errno set
 */
static gssize
conn_recv(MsGatewayFrontConn *conn)
{
	GString *read_buffer = conn->host->read_buffer;
	gssize n;

	if (conn_buffered(conn) == 0)
		conn_reset_input(conn);
	g_string_set_size(read_buffer, MS_GATEWAY_FRONT_READ_BYTES);
	do
		n = recv(conn->fd, read_buffer->str, MS_GATEWAY_FRONT_READ_BYTES, 0);
	while (n < 0 && errno == EINTR);
	g_string_truncate(read_buffer, n > 0 ? (gsize)n : 0);
	if (n <= 0)
		return n;
	if (conn_buffered(conn) == 0) {
		conn->in = read_buffer;
		conn->in_start = 0;
		return n;
	}
	if (conn->in_start > 0) {
		g_string_erase(conn->in, 0, (gssize)conn->in_start);
		conn->in_start = 0;
	}
	g_string_append_len(conn->in, read_buffer->str, n);
	g_string_truncate(read_buffer, 0);
	return n;
}

/* the read is processed: what is left of it waits in a buffer of the connection's own */
static void
conn_keep_input(MsGatewayFrontConn *conn)
{
	GString *read_buffer = conn->host->read_buffer;

	if (conn->in != read_buffer)
		return;
	conn->in = conn_buffered(conn) > 0 ? g_string_new_len(read_buffer->str + conn->in_start,
							      (gssize)conn_buffered(conn))
					   : NULL;
	conn->in_start = 0;
	g_string_truncate(read_buffer, 0);
}

/* --- requests -------------------------------------------------------------------------- */

/*
 * header tables a worker keeps for its requests in flight; beyond them they are
 * made and freed per request. As many as a busy worker has requests at once
 * (a thousand clients on two workers): an emptied table keeps about 2.5 KiB,
 * the storage a usual head fits in, so that taking one allocates nothing
 * (some 5 MiB a worker at most, request and response tables together).
 */
#define CONN_HEADER_SPARES 1024

static MsHttpFields *
headers_take(GPtrArray *spares)
{
	if (spares->len > 0)
		return g_ptr_array_steal_index_fast(spares, spares->len - 1);
	return ms_http_fields_new();
}

static void
headers_give_back(GPtrArray *spares, MsHttpFields *headers)
{
	if (headers == NULL)
		return;
	ms_http_fields_clear(headers);
	if (spares->len < CONN_HEADER_SPARES)
		g_ptr_array_add(spares, headers);
	else
		ms_http_fields_free(headers);
}

/* a request's head is read: its tables are the worker's spares, cleared */
static void
conn_take_headers(MsGatewayFrontConn *conn)
{
	if (conn->headers == NULL)
		conn->headers = headers_take(conn->host->request_header_spares);
	else
		ms_http_fields_clear(conn->headers);
	if (conn->response_headers == NULL)
		conn->response_headers = headers_take(conn->host->response_header_spares);
	else
		ms_http_fields_clear(conn->response_headers);
}

/* the request is over: what it read goes, so that an idle connection holds none of it */
static void
conn_forget_request(MsGatewayFrontConn *conn)
{
	headers_give_back(conn->host->request_header_spares, g_steal_pointer(&conn->headers));
	headers_give_back(conn->host->response_header_spares,
			  g_steal_pointer(&conn->response_headers));
	conn->method = NULL;
	conn->target = NULL;
	g_clear_pointer(&conn->path, g_free);
	g_clear_pointer(&conn->query, g_free);
}

static void
conn_begin(MsGatewayFrontConn *conn)
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
		.auth_memo = &conn->auth_memo,
	};

	conn->head_method = head.method == SOUP_METHOD_HEAD;
	conn->state = CONN_ANSWERING;
	conn->request =
		ms_gateway_request_begin(conn->host->worker, &conn_front_class, conn, &head);
}

/* the request cannot be read: refused, answered, then the connection closes */
static void
conn_refuse(MsGatewayFrontConn *conn, MsHttpError error)
{
	conn->close_after = TRUE;
	conn->linger = TRUE;
	conn->body_unread = FALSE;
	conn->state = CONN_ANSWERING;
	conn_drop_input(conn);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	ms_gateway_request_refuse(conn->request, error);
}

static void
conn_handle(MsGatewayFrontConn *conn)
{
	g_autoptr(GBytes) body = NULL;

	if (conn->body != NULL && conn->body->len > 0)
		body = g_byte_array_free_to_bytes(g_steal_pointer(&conn->body));
	g_clear_pointer(&conn->body, g_byte_array_unref);
	conn->state = CONN_ANSWERING;
	conn->timing = FALSE;
	/* lazily: the upstream's own timeout bounds the wait */
	conn->deadline = -1;
	ms_gateway_request_handle(conn->request, body);
}

/* RFC 9110 §10.1.1: ask for the body only when it will be taken */
static void
conn_maybe_continue(MsGatewayFrontConn *conn)
{
	if (conn_buffered(conn) == 0 && conn->expect_continue)
		conn_write_continue(conn);
}

/* Returns: %TRUE when the request moved on */
static gboolean
conn_start_body(MsGatewayFrontConn *conn)
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
			(guint)MIN(conn->body_length, CONN_BODY_PREALLOC_BYTES));
		conn->state = CONN_BODY;
		conn_maybe_continue(conn);
		return TRUE;
	case MS_HTTP_BODY_CHUNKED:
		ms_http_chunked_decoder_init(&conn->chunked, max);
		conn->body = g_byte_array_new();
		conn->state = CONN_BODY;
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
take_target(MsGatewayFrontConn *conn)
{
	return ms_http_target_normalize(conn->target, &conn->path, &conn->query, NULL);
}

/**
 * conn_read_body:
 *
 * The core admitted the request: read its body, asking for it first when the
 * client waits for "100 Continue". From inside ms_gateway_request_admit() the
 * processing loop goes on by itself; later (a password was checked on a
 * thread) the connection's own dispatch takes what is buffered.
 */
static void
conn_read_body(MsGatewayFrontConn *conn)
{
	if (conn->state != CONN_ADMITTING)
		return;
	conn->state = CONN_ANSWERING;
	conn_start_body(conn);
	if (conn->state == CONN_BODY && !conn->processing) {
		conn_set_events(conn, conn->events | G_IO_IN);
		conn_wake(conn);
	}
}

/* Returns: %TRUE when the request moved on, %FALSE when more input is needed */
static gboolean
conn_take_head(MsGatewayFrontConn *conn)
{
	const char *data = conn_input(conn);
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
	conn_take_headers(conn);
	conn->method = NULL;
	conn->target = NULL;
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
	conn->close_after = conn->draining || ms_http_wants_close(conn->headers, conn->version);
	conn->expect_continue = ms_http_expects_continue(conn->headers, conn->version);
	conn_begin(conn);
	if (error != MS_HTTP_OK) {
		conn_refuse(conn, error);
		return TRUE;
	}
	conn->body_unread = conn->body_kind == MS_HTTP_BODY_CHUNKED ||
			    (conn->body_kind == MS_HTTP_BODY_LENGTH && conn->body_length > 0);
	conn->state = CONN_ADMITTING;
	/* the core answers, or calls conn_read_body(), maybe before this returns */
	ms_gateway_request_admit(conn->request);
	return TRUE;
}

/* Returns: %TRUE when the request moved on, %FALSE when more input is needed */
static gboolean
conn_take_body(MsGatewayFrontConn *conn)
{
	const char *data = conn_input(conn);
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
conn_process(MsGatewayFrontConn *conn)
{
	if (conn->processing)
		return;
	conn->processing = TRUE;
	conn_ref(conn);
	for (;;) {
		gboolean moved;

		if (conn->state == CONN_HEAD)
			moved = conn_take_head(conn);
		else if (conn->state == CONN_BODY)
			moved = conn_take_body(conn);
		else
			break;
		if (!moved) {
			/* the client shut its side while the core decided: the body is short */
			if (conn->state == CONN_BODY && conn->eof)
				ms_gateway_front_conn_close(conn, TRUE);
			break;
		}
	}
	conn->processing = FALSE;
	ms_gateway_front_conn_unref(conn);
}

/* answered and shut down for writing: what the client still sends is read and dropped */
static void
conn_linger(MsGatewayFrontConn *conn)
{
	if (!conn->linger && conn_buffered(conn) == 0) {
		ms_gateway_front_conn_close(conn, FALSE);
		return;
	}
	if (shutdown(conn->fd, SHUT_WR) != 0) {
		ms_gateway_front_conn_close(conn, FALSE);
		return;
	}
	/*
	 * RFC 9112 §9.6: closing with unread input would reset the connection and
	 * could take the answer with it
	 */
	conn->state = CONN_LINGERING;
	conn_drop_input(conn);
	conn_set_deadline(conn, g_get_monotonic_time() + CONN_LINGER_USEC);
	conn_set_events(conn, G_IO_IN);
}

/* the whole answer is written: the request ends, the connection goes on or closes */
static void
conn_answer_written(MsGatewayFrontConn *conn)
{
	MsGatewayRequest *request = g_steal_pointer(&conn->request);

	conn_reset_response(conn);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	if (request != NULL)
		ms_gateway_request_finish(request, FALSE);
	conn_forget_request(conn);
	if (conn->close_after || conn->draining) {
		conn_linger(conn);
		return;
	}
	conn->state = CONN_HEAD;
	conn->timing = FALSE;
	conn_set_deadline(conn, g_get_monotonic_time() + CONN_IDLE_TIMEOUT_USEC);
	conn_set_events(conn, conn->events | G_IO_IN);
	/* a pipelined request: from the connection's own dispatch, not the caller's */
	if (!conn->processing && conn_buffered(conn) > 0)
		conn_wake(conn);
}

/* --- the connection's events ------------------------------------------------------------ */

static void
conn_eof(MsGatewayFrontConn *conn)
{
	switch (conn->state) {
	case CONN_ANSWERING:
		if (conn->close_after) {
			/* a half-close after the last request: the answer still goes out */
			conn->eof = TRUE;
			conn_set_events(conn, conn->events & ~G_IO_IN);
			return;
		}
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	case CONN_ADMITTING:
		/* what the client sent may be all there is: the core still answers */
		conn->eof = TRUE;
		conn_set_events(conn, conn->events & ~G_IO_IN);
		return;
	case CONN_BODY:
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	default:
		ms_gateway_front_conn_close(conn, FALSE);
		return;
	}
}

static void
conn_read_ready(MsGatewayFrontConn *conn, GIOCondition revents)
{
	if (!(conn->events & G_IO_IN)) {
		/* not reading, yet the peer hung up or failed */
		if (revents & (G_IO_HUP | G_IO_ERR))
			ms_gateway_front_conn_close(conn, TRUE);
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
			ms_gateway_front_conn_close(conn, TRUE);
			return;
		}
		if (conn->state == CONN_LINGERING ||
		    (conn->state == CONN_ANSWERING && conn->close_after))
			conn_drop_input(conn);
		else
			conn_process(conn);
		conn_keep_input(conn);
		if (conn->state == CONN_CLOSED)
			return;
		/* a short read took all there was */
		if (n < MS_GATEWAY_FRONT_READ_BYTES)
			break;
	}
	if (conn->state == CONN_CLOSED)
		return;
	if (conn_wants_input(conn))
		conn_set_events(conn, conn->events | G_IO_IN);
	else
		conn_set_events(conn, conn->events & ~G_IO_IN);
}

static void
conn_write_ready(MsGatewayFrontConn *conn)
{
	gsize unwritten;

	if (!conn_flush(conn)) {
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	}
	unwritten = ms_gateway_front_output_get_unwritten(&conn->out);
	if (conn->throttled && unwritten <= MS_GATEWAY_MAX_UNWRITTEN / 2 && conn->request != NULL &&
	    !conn->answered) {
		conn->throttled = FALSE;
		ms_gateway_request_writable(conn->request);
	}
	if (conn->state == CONN_ANSWERING && conn->answered && unwritten == 0)
		conn_answer_written(conn);
}

static void
conn_expire(MsGatewayFrontConn *conn)
{
	switch (conn->state) {
	case CONN_ADMITTING:
	case CONN_BODY:
	case CONN_ANSWERING:
		/* a body that does not come, or an answer the client does not read */
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	default:
		/* an idle connection, a head that does not complete, a linger that is over */
		ms_gateway_front_conn_close(conn, FALSE);
		return;
	}
}

static void
conn_dispatch(MsGatewayWatch *watch, GIOCondition revents)
{
	MsGatewayFrontConn *conn = (MsGatewayFrontConn *)watch;
	gint64 now = ms_gateway_events_get_time(conn->host->events);

	if (conn->state == CONN_CLOSED)
		return;
	if (conn->deadline != -1 && conn->deadline <= now) {
		conn_expire(conn);
		return;
	}
	/* a deadline that was pushed back while the armed one waited */
	conn_arm(conn);
	if (conn->broken) {
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	}
	if (revents & G_IO_OUT)
		conn_write_ready(conn);
	if (conn->state != CONN_CLOSED && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		conn_read_ready(conn, revents);
	if (conn->state != CONN_CLOSED && conn->woken) {
		conn->woken = FALSE;
		conn_process(conn);
	}
}

static void
conn_free(MsGatewayFrontConn *conn)
{
	ms_gateway_watch_remove(&conn->watch);
	g_socket_close(conn->socket, NULL);
	g_object_unref(conn->socket);
	/* counted out only now that its descriptor is */
	ms_gateway_limits_slot_release(conn->slot);
	g_free(conn->remote);
	ms_auth_memo_forget(&conn->auth_memo);
	g_free(conn->path);
	g_free(conn->query);
	g_clear_pointer(&conn->body, g_byte_array_unref);
	/* not to the spares: the front that owns them may be going */
	g_clear_pointer(&conn->headers, ms_http_fields_free);
	g_clear_pointer(&conn->response_headers, ms_http_fields_free);
	/* closed: nothing of the input is left */
	g_assert(conn->in == NULL);
	ms_gateway_front_output_clear(&conn->out);
	g_free(conn);
}

static void
conn_watch_ref(MsGatewayWatch *watch)
{
	conn_ref((MsGatewayFrontConn *)watch);
}

static void
conn_watch_unref(MsGatewayWatch *watch)
{
	ms_gateway_front_conn_unref((MsGatewayFrontConn *)watch);
}

static const MsGatewayWatchFuncs conn_watch_funcs = {
	.dispatch = conn_dispatch,
	.ref = conn_watch_ref,
	.unref = conn_watch_unref,
};

/* --- the core's answers (MsGatewayFrontClass) ------------------------------------------ */

/* RFC 9110 §6.4.1: these never have a body, nor a length */
static gboolean
status_never_has_body(guint status)
{
	return status < 200 || status == SOUP_STATUS_NO_CONTENT ||
	       status == SOUP_STATUS_NOT_MODIFIED;
}

static MsGatewayFrontFraming
conn_choose_framing(MsGatewayFrontConn *conn, guint status, goffset content_length)
{
	if (status_never_has_body(status))
		/* RFC 9110 §8.6: no length where there is never a body */
		return MS_GATEWAY_FRONT_FRAMING_NONE;
	if (content_length >= 0)
		/* a HEAD answer keeps the length of what GET would send */
		return MS_GATEWAY_FRONT_FRAMING_LENGTH;
	if (conn->no_body)
		/* HEAD of a body of unknown length: nothing to frame */
		return MS_GATEWAY_FRONT_FRAMING_NONE;
	if (conn->version == SOUP_HTTP_1_0) {
		/* HTTP/1.0 has no chunked: the body ends where the connection does */
		conn->close_after = TRUE;
		return MS_GATEWAY_FRONT_FRAMING_NONE;
	}
	conn->chunked_out = TRUE;
	return MS_GATEWAY_FRONT_FRAMING_CHUNKED;
}

static void
conn_respond_head(gpointer front,
		  guint status,
		  const char *reason,
		  MsHttpFields *headers,
		  goffset content_length)
{
	MsGatewayFrontConn *conn = front;
	const char *connection = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_CONNECTION);
	MsGatewayFrontHead head = {
		.version = conn->version,
		.status = status,
		.reason = reason,
		.headers = headers,
		.content_length = content_length,
	};

	/* answered before it was admitted (a 401, a 404...) */
	if (conn->state == CONN_ADMITTING)
		conn->state = CONN_ANSWERING;
	/* a body nobody read cannot be told from the next request: close after the answer */
	if (conn->body_unread) {
		conn->body_unread = FALSE;
		conn->close_after = TRUE;
		conn->linger = TRUE;
	}
	/* the core's own refusals say Connection: close */
	if (connection != NULL && soup_header_contains(connection, "close"))
		conn->close_after = TRUE;
	if (conn->draining)
		conn->close_after = TRUE;
	conn->no_body = conn->head_method || status_never_has_body(status);
	head.framing = conn_choose_framing(conn, status, content_length);
	if (conn->close_after)
		head.connection = MS_GATEWAY_FRONT_CONNECTION_CLOSE;
	else if (conn->version == SOUP_HTTP_1_0)
		head.connection = MS_GATEWAY_FRONT_CONNECTION_KEEP_ALIVE;
	else
		head.connection = MS_GATEWAY_FRONT_CONNECTION_DEFAULT;
	ms_gateway_front_output_append_head(&conn->out, &head);
}

static void
conn_respond_body(gpointer front, const char *data, gsize length)
{
	MsGatewayFrontConn *conn = front;

	if (conn->no_body || conn->broken || length == 0)
		return;
	ms_gateway_front_output_append_body(&conn->out, data, length, conn->chunked_out);
	/* an answer of unknown length may be a stream: what came goes out */
	if (ms_gateway_front_output_get_unwritten(&conn->out) >= MS_GATEWAY_FRONT_FLUSH_BYTES ||
	    conn->chunked_out) {
		if (!conn_flush(conn)) {
			/* the request ends from the connection's dispatch, not in here */
			conn->broken = TRUE;
			ms_gateway_front_output_discard(&conn->out);
			conn_wake(conn);
			return;
		}
	}
	if (ms_gateway_front_output_get_unwritten(&conn->out) > MS_GATEWAY_MAX_UNWRITTEN / 2)
		conn->throttled = TRUE;
}

static void
conn_respond_end(gpointer front)
{
	MsGatewayFrontConn *conn = front;

	conn->answered = TRUE;
	if (conn->broken) {
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	}
	if (conn->chunked_out)
		ms_gateway_front_output_append_last_chunk(&conn->out);
	if (!conn_flush(conn)) {
		ms_gateway_front_conn_close(conn, TRUE);
		return;
	}
	/* else the rest goes out from the dispatch, which then ends the request */
	if (ms_gateway_front_output_get_unwritten(&conn->out) == 0)
		conn_answer_written(conn);
}

static void
conn_cut(gpointer front)
{
	MsGatewayFrontConn *conn = front;

	/* what is there goes out if it can; the missing end tells the client */
	conn->answered = TRUE;
	if (!conn->broken)
		conn_flush(conn);
	ms_gateway_front_conn_close(conn, FALSE);
}

static gsize
conn_get_unwritten(gpointer front)
{
	MsGatewayFrontConn *conn = front;

	return ms_gateway_front_output_get_unwritten(&conn->out);
}

static void
conn_read_body_func(gpointer front)
{
	conn_read_body(front);
}

static const MsGatewayFrontClass conn_front_class = {
	.respond_head = conn_respond_head,
	.respond_body = conn_respond_body,
	.respond_end = conn_respond_end,
	.cut = conn_cut,
	.get_unwritten = conn_get_unwritten,
	.read_body = conn_read_body_func,
};

/* --- the owner's calls ------------------------------------------------------------------ */

/**
 * ms_gateway_front_conn_close:
 * @client_gone: how the request in flight, if any, ends
 *
 * Closes the connection and tells its host; @conn may be freed when this
 * returns.
 */
void
ms_gateway_front_conn_close(MsGatewayFrontConn *conn, gboolean client_gone)
{
	MsGatewayRequest *request = g_steal_pointer(&conn->request);

	if (conn->state == CONN_CLOSED)
		return;
	conn->state = CONN_CLOSED;
	if (request != NULL)
		ms_gateway_request_finish(request, client_gone);
	ms_gateway_watch_remove(&conn->watch);
	/* what was read is of no use now, and the worker's read buffer is not this connection's */
	conn_drop_input(conn);
	conn_keep_input(conn);
	/* the host's reference may be the last one */
	conn->host->closed(conn, conn->host->data);
}

/**
 * ms_gateway_front_conn_peer_address:
 * @fd: a connected socket
 *
 * Returns: (nullable): the peer's IP address as text, IPv4-mapped IPv6 as
 *   plain IPv4 (for the loopback checks and the per-client limit); %NULL for
 *   a Unix socket peer, which has no address
 */
char *
ms_gateway_front_conn_peer_address(int fd)
{
	struct sockaddr_storage peer;
	socklen_t length = sizeof peer;
	char text[INET6_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&peer, &length) != 0)
		return NULL;
	if (peer.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&peer;
		return g_strdup(inet_ntop(AF_INET, &in->sin_addr, text, sizeof text));
	}
	if (peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&peer;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return g_strdup(
				inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof text));
		return g_strdup(inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text));
	}
	return NULL;
}

/**
 * ms_gateway_front_conn_new:
 * @host: the owner; it holds the returned reference until @host->closed
 * @client: a connected socket; the connection takes a reference
 * @remote: (transfer full) (nullable): ms_gateway_front_conn_peer_address()
 * @slot: (transfer full): what counts the connection; released when its
 *   socket is closed
 *
 * Serves HTTP/1.1 on @client from @host's events.
 */
MsGatewayFrontConn *
ms_gateway_front_conn_new(const MsGatewayFrontConnHost *host,
			  GSocket *client,
			  char *remote,
			  MsGatewayLimitsSlot *slot)
{
	MsGatewayFrontConn *conn = g_new0(MsGatewayFrontConn, 1);

	g_ref_count_init(&conn->ref_count);
	conn->host = host;
	conn->socket = g_object_ref(client);
	conn->slot = slot;
	conn->fd = g_socket_get_fd(client);
	conn->remote = remote;
	ms_gateway_front_output_init(&conn->out, host->output_spares);
	conn->version = SOUP_HTTP_1_1;
	conn->state = CONN_HEAD;
	conn->events = G_IO_IN;
	/* the first request has as long as any to arrive */
	conn->timing = TRUE;
	conn->deadline = g_get_monotonic_time() + CONN_READ_TIMEOUT_USEC;
	g_socket_set_blocking(client, FALSE);
	if (!ms_gateway_watch_add(&conn->watch,
				  host->events,
				  conn->fd,
				  conn->events,
				  &conn_watch_funcs)) {
		/* closed from its first dispatch, as its owner expects of a connection */
		conn->broken = TRUE;
		conn_wake(conn);
	}
	conn_arm(conn);
	return conn;
}

/* the front stops: the answer being read or written is the connection's last */
void
ms_gateway_front_conn_drain(MsGatewayFrontConn *conn)
{
	conn->draining = TRUE;
	conn->close_after = TRUE;
}

/* between requests, with nothing of the next one read */
gboolean
ms_gateway_front_conn_is_idle(MsGatewayFrontConn *conn)
{
	return conn->state == CONN_HEAD && conn_buffered(conn) == 0;
}

void
ms_gateway_front_conn_unref(MsGatewayFrontConn *conn)
{
	if (g_ref_count_dec(&conn->ref_count))
		conn_free(conn);
}

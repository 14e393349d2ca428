/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include "config.h"

#include "gateway/adapters/upstream/ms-upstream-conn.h"

#include "gateway/adapters/http1/ms-http-framing.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * One upstream connection: a watch in its worker's events (the epoll set and
 * the deadlines its client connections are in, ms-gateway-events.c), a read
 * buffer and the response framing (Content-Length, chunked, until close). An
 * idle pooled connection is then neither polled nor dispatched for the
 * requests of others, as a GSource of its own was on every wakeup.
 * An upstream's bytes are as untrusted as a client's: its head and its body
 * framing go through the same strict, fuzzed code as requests
 * (ms-http-framing.c), and a response that breaks it fails the exchange and
 * closes the connection, so no byte of it can be read as the next response.
 */

typedef enum {
	CONN_IDLE,
	CONN_CONNECTING,
	CONN_WRITING,
	CONN_READING_HEAD,
	CONN_READING_BODY,
} ConnState;

struct _MsUpstreamConn {
	MsGatewayWatch watch;
	gint ref_count; /* the keeper's until closed, and the events' while a dispatch is due */
	gboolean closed;
	const MsUpstreamConnKeeper *keeper;
	gpointer keeper_data;
	GSocket *socket;
	int fd;
	GList link; /* in the keeper's idle queue */
	ConnState state;
	gint64 deadline; /* when the current wait times out */
	guint served;
	/* the exchange */
	const MsUpstreamHandler *handler;
	gpointer user_data;
	gint64 timeout_usec;
	gint64 until; /* the whole exchange's bound; G_MAXINT64 for none */
	gboolean head_request;
	gboolean got_bytes;
	gboolean keep_alive;
	/* writing */
	GString *request;
	gsize request_offset;
	GBytes *body;
	gsize body_offset;
	/* reading */
	char *buffer;
	gsize start; /* first unconsumed byte */
	gsize end;   /* one past the last byte read */
	MsHttpFields *headers;
	MsHttpBodyKind body_kind;
	guint64 remaining; /* MS_HTTP_BODY_LENGTH */
	MsHttpChunkedDecoder chunked;
	gsize head_scanned;
};

/* an epoll_ctl() only when the condition differs (ms_gateway_watch_set_condition() checks) */
static void
conn_set_events(MsUpstreamConn *conn, GIOCondition events)
{
	ms_gateway_watch_set_condition(&conn->watch, events);
}

/*
 * Arming moves the watch in the events' sorted deadlines: the armed deadline
 * moves only when it would fire too late, and one that fires early is checked
 * against the real deadline in dispatch, so steady traffic arms nothing per
 * request.
 */
static void
conn_arm_deadline(MsUpstreamConn *conn, gint64 deadline)
{
	gint64 armed = ms_gateway_watch_get_armed(&conn->watch);

	conn->deadline = deadline;
	if (armed < 0 || armed > deadline)
		ms_gateway_watch_arm(&conn->watch, deadline);
}

/* the current wait's: the timeout from now, within the whole exchange's bound */
static gint64
conn_next_deadline(MsUpstreamConn *conn)
{
	return MIN(g_get_monotonic_time() + conn->timeout_usec, conn->until);
}

static void
conn_unref(MsUpstreamConn *conn)
{
	if (--conn->ref_count > 0)
		return;
	g_object_unref(conn->socket);
	g_string_free(conn->request, TRUE);
	g_clear_pointer(&conn->body, g_bytes_unref);
	ms_http_fields_free(conn->headers);
	g_free(conn->buffer);
	g_free(conn);
}

GList *
ms_upstream_conn_get_link(MsUpstreamConn *conn)
{
	return &conn->link;
}

GString *
ms_upstream_conn_get_request_buffer(MsUpstreamConn *conn)
{
	g_string_truncate(conn->request, 0);
	return conn->request;
}

/* the socket is closed now; the memory goes with the last reference (a dispatch due) */
void
ms_upstream_conn_close(MsUpstreamConn *conn)
{
	g_return_if_fail(!conn->closed);
	conn->closed = TRUE;
	conn->keeper->closing(conn->keeper_data, conn);
	ms_gateway_watch_remove(&conn->watch);
	g_socket_close(conn->socket, NULL);
	conn_unref(conn);
}

static void
conn_fail(MsUpstreamConn *conn, MsUpstreamFailure failure, const char *message)
{
	const MsUpstreamHandler *handler = conn->handler;
	gpointer user_data = conn->user_data;
	gboolean retryable =
		conn->served > 0 && !conn->got_bytes && failure == MS_UPSTREAM_FAILURE_BROKEN;

	conn->handler = NULL;
	ms_upstream_conn_close(conn);
	if (handler != NULL)
		handler->failed(user_data, failure, retryable, message);
}

static void
conn_fail_errno(MsUpstreamConn *conn, MsUpstreamFailure failure, int errsv)
{
	conn_fail(conn, failure, g_strerror(errsv));
}

static void
conn_finish(MsUpstreamConn *conn)
{
	const MsUpstreamHandler *handler = conn->handler;
	gpointer user_data = conn->user_data;

	conn->handler = NULL;
	conn->served++;
	g_clear_pointer(&conn->body, g_bytes_unref);
	/* bytes after the response mean the upstream is confused: do not reuse */
	if (conn->keep_alive && conn->start == conn->end) {
		conn->state = CONN_IDLE;
		conn->start = conn->end = 0;
		conn->got_bytes = FALSE;
		conn_set_events(conn, G_IO_IN);
		conn_arm_deadline(conn, g_get_monotonic_time() + MS_UPSTREAM_IDLE_TIMEOUT_USEC);
		conn->keeper->reusable(conn->keeper_data, conn);
	} else {
		ms_upstream_conn_close(conn);
	}
	handler->done(user_data);
}

static void
conn_deliver(MsUpstreamConn *conn, gsize length)
{
	conn->handler->body(conn->user_data, conn->buffer + conn->start, length);
	conn->start += length;
}

/* consumes what the buffer holds of the body; returns FALSE when the conn is gone */
static gboolean
conn_process_body(MsUpstreamConn *conn)
{
	gsize avail = conn->end - conn->start;

	switch (conn->body_kind) {
	case MS_HTTP_BODY_CHUNKED:
		while (conn->start < conn->end) {
			const char *chunk = NULL;
			gsize chunk_length = 0;
			gsize consumed = 0;
			MsHttpChunkedStatus status =
				ms_http_chunked_decoder_next(&conn->chunked,
							     conn->buffer + conn->start,
							     conn->end - conn->start,
							     &consumed,
							     &chunk,
							     &chunk_length);

			conn->start += consumed;
			if (chunk_length > 0) {
				conn->handler->body(conn->user_data, chunk, chunk_length);
				if (conn->handler == NULL)
					return FALSE;
			}
			if (status == MS_HTTP_CHUNKED_DONE) {
				conn_finish(conn);
				return FALSE;
			}
			if (status != MS_HTTP_CHUNKED_MORE) {
				conn_fail(conn,
					  MS_UPSTREAM_FAILURE_PROTOCOL,
					  "invalid chunked body");
				return FALSE;
			}
			if (consumed == 0)
				break;
		}
		return TRUE;
	case MS_HTTP_BODY_UNTIL_CLOSE:
		if (avail > 0)
			conn_deliver(conn, avail);
		return TRUE;
	case MS_HTTP_BODY_LENGTH:
		avail = (gsize)MIN((guint64)avail, conn->remaining);
		if (avail > 0) {
			conn_deliver(conn, avail);
			conn->remaining -= avail;
		}
		if (conn->remaining > 0)
			return TRUE;
		conn_finish(conn);
		return FALSE;
	case MS_HTTP_BODY_NONE:
	default:
		conn_finish(conn);
		return FALSE;
	}
}

static const char *
framing_error_text(MsHttpError error)
{
	switch (error) {
	case MS_HTTP_ERROR_CONTENT_LENGTH:
		return "invalid response: bad Content-Length";
	case MS_HTTP_ERROR_FRAMING_CONFLICT:
		return "invalid response: Transfer-Encoding with Content-Length, or in HTTP/1.0";
	case MS_HTTP_ERROR_TRANSFER_CODING:
		return "invalid response: a transfer coding other than chunked";
	case MS_HTTP_ERROR_FIELD_NAME:
	case MS_HTTP_ERROR_OBS_FOLD:
		return "invalid response: a malformed header field";
	case MS_HTTP_ERROR_VERSION:
		return "invalid response: not HTTP/1.x";
	default:
		return "invalid response: a malformed status line or head";
	}
}

/*
 * the fields the gateway writes itself to its client, as nginx does: its own
 * Date and Server, the request's X-Request-ID. The upstream's are never read:
 * they are taken out before anyone sees the head (see MsUpstreamHandler.head).
 */
static void
remove_gateway_fields(MsHttpFields *fields)
{
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	ms_http_fields_iter_init(&iter, fields);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (field->id == MS_HTTP_FIELD_DATE || field->id == MS_HTTP_FIELD_SERVER ||
		    field->id == MS_HTTP_FIELD_X_REQUEST_ID)
			ms_http_fields_iter_remove(&iter);
	}
}

static gboolean
conn_process_head(MsUpstreamConn *conn)
{
	const char *head = conn->buffer + conn->start;
	gsize head_length = 0;
	SoupHTTPVersion version = SOUP_HTTP_1_1;
	guint status = 0;
	const char *reason = NULL;
	goffset content_length = -1;
	guint64 length = 0;
	MsHttpBodyKind kind = MS_HTTP_BODY_NONE;
	MsHttpError error;
	const char *connection;

	switch (ms_http_head_find(head,
				  conn->end - conn->start,
				  MS_UPSTREAM_READ_SIZE,
				  &conn->head_scanned,
				  &head_length)) {
	case MS_HTTP_HEAD_INCOMPLETE:
		return TRUE;
	case MS_HTTP_HEAD_TOO_LARGE:
		conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "response head too large");
		return FALSE;
	case MS_HTTP_HEAD_COMPLETE:
	default:
		break;
	}
	conn->head_scanned = 0;
	ms_http_fields_clear(conn->headers);
	error = ms_http_response_head_parse(head,
					    head_length,
					    conn->headers,
					    &version,
					    &status,
					    &reason);
	/* its length, when it has one, is checked even for HEAD, 204 and 304 */
	if (error == MS_HTTP_OK)
		error = ms_http_response_body_framing(conn->headers, FALSE, status, &kind, &length);
	/* 101 would switch protocols: the gateway never asks for an upgrade */
	if (error == MS_HTTP_OK && status == SOUP_STATUS_SWITCHING_PROTOCOLS)
		error = MS_HTTP_ERROR_SYNTAX;
	/* RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so such framing is faulty */
	if (error == MS_HTTP_OK && version == SOUP_HTTP_1_0 &&
	    ms_http_fields_has_id(conn->headers, MS_HTTP_FIELD_TRANSFER_ENCODING))
		error = MS_HTTP_ERROR_FRAMING_CONFLICT;
	if (error != MS_HTTP_OK) {
		conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, framing_error_text(error));
		return FALSE;
	}
	conn->start += head_length;
	/* interim responses (103 Early Hints, a stray 100) are not forwarded */
	if (status < 200)
		return conn_process_head(conn);

	connection = ms_http_fields_get_list_id(conn->headers, MS_HTTP_FIELD_CONNECTION);
	conn->keep_alive =
		version == SOUP_HTTP_1_1
			? !(connection != NULL && soup_header_contains(connection, "close"))
			: connection != NULL && soup_header_contains(connection, "keep-alive");
	remove_gateway_fields(conn->headers);
	if (kind == MS_HTTP_BODY_LENGTH)
		content_length = (goffset)length;
	/* a HEAD answer keeps the length GET would have */
	if (conn->head_request || status == SOUP_STATUS_NO_CONTENT ||
	    status == SOUP_STATUS_NOT_MODIFIED)
		kind = MS_HTTP_BODY_NONE;
	if (!conn->head_request && kind != MS_HTTP_BODY_LENGTH)
		content_length = -1;
	if (kind == MS_HTTP_BODY_UNTIL_CLOSE)
		conn->keep_alive = FALSE;
	conn->body_kind = kind;
	conn->remaining = length;
	ms_http_chunked_decoder_init(&conn->chunked, G_MAXUINT64);
	conn->state = CONN_READING_BODY;
	conn->handler->head(conn->user_data, status, reason, conn->headers, content_length);
	if (conn->handler == NULL)
		return FALSE;
	return conn_process_body(conn);
}

static void
conn_read(MsUpstreamConn *conn)
{
	gssize n;

	/* keep the unconsumed tail (a head still arriving; the body's framing is all decoded) */
	if (conn->start > 0 && conn->start == conn->end) {
		conn->start = conn->end = 0;
	} else if (conn->start > 0 && conn->end == MS_UPSTREAM_READ_SIZE) {
		memmove(conn->buffer, conn->buffer + conn->start, conn->end - conn->start);
		conn->end -= conn->start;
		conn->start = 0;
	}
	n = recv(conn->fd, conn->buffer + conn->end, MS_UPSTREAM_READ_SIZE - conn->end, 0);
	if (n < 0) {
		int errsv = errno;
		if (errsv == EAGAIN || errsv == EINTR)
			return;
		conn_fail_errno(conn, MS_UPSTREAM_FAILURE_BROKEN, errsv);
		return;
	}
	if (n == 0) {
		if (conn->state == CONN_READING_BODY &&
		    conn->body_kind == MS_HTTP_BODY_UNTIL_CLOSE) {
			conn->keep_alive = FALSE;
			conn_finish(conn);
			return;
		}
		conn_fail(conn,
			  MS_UPSTREAM_FAILURE_BROKEN,
			  conn->got_bytes ? "the upstream closed the connection mid-response"
					  : "the upstream closed the connection");
		return;
	}
	conn->got_bytes = TRUE;
	conn->end += n;
	/* progress: the wait for the next bytes starts over (checked lazily) */
	conn->deadline = conn_next_deadline(conn);
	if (conn->state == CONN_READING_HEAD)
		conn_process_head(conn);
	else
		conn_process_body(conn);
}

static void
conn_write(MsUpstreamConn *conn)
{
	struct iovec iov[2];
	struct msghdr message = { 0 };
	gssize n;
	gsize body_length = conn->body != NULL ? g_bytes_get_size(conn->body) : 0;

	while (conn->request_offset < conn->request->len || conn->body_offset < body_length) {
		int iovcnt = 0;
		if (conn->request_offset < conn->request->len) {
			iov[iovcnt].iov_base = conn->request->str + conn->request_offset;
			iov[iovcnt++].iov_len = conn->request->len - conn->request_offset;
		}
		if (conn->body_offset < body_length) {
			iov[iovcnt].iov_base =
				(char *)g_bytes_get_data(conn->body, NULL) + conn->body_offset;
			iov[iovcnt++].iov_len = body_length - conn->body_offset;
		}
		message.msg_iov = iov;
		message.msg_iovlen = iovcnt;
		n = sendmsg(conn->fd, &message, MSG_NOSIGNAL);
		if (n < 0) {
			int errsv = errno;
			if (errsv == EINTR)
				continue;
			if (errsv == EAGAIN) {
				conn_set_events(conn, G_IO_OUT);
				conn->state = CONN_WRITING;
				return;
			}
			conn_fail_errno(conn, MS_UPSTREAM_FAILURE_BROKEN, errsv);
			return;
		}
		if (conn->request_offset < conn->request->len) {
			gsize head_part = MIN((gsize)n, conn->request->len - conn->request_offset);
			conn->request_offset += head_part;
			n -= head_part;
		}
		conn->body_offset += n;
	}
	conn->state = CONN_READING_HEAD;
	conn_set_events(conn, G_IO_IN);
}

static void
conn_connected(MsUpstreamConn *conn)
{
	g_autoptr(GError) error = NULL;

	if (!g_socket_check_connect_result(conn->socket, &error)) {
		conn_fail(conn, MS_UPSTREAM_FAILURE_CONNECT, error->message);
		return;
	}
	conn_write(conn);
}

static void
conn_ready(MsUpstreamConn *conn)
{
	switch (conn->state) {
	case CONN_IDLE:
		/* an idle upstream only ever sends EOF: it closed its end */
		ms_upstream_conn_close(conn);
		break;
	case CONN_CONNECTING:
		conn_connected(conn);
		break;
	case CONN_WRITING:
		conn_write(conn);
		break;
	case CONN_READING_HEAD:
	case CONN_READING_BODY:
		conn_read(conn);
		break;
	default:
		g_assert_not_reached();
	}
}

static void
conn_watch_dispatch(MsGatewayWatch *watch, GIOCondition revents)
{
	MsUpstreamConn *conn = (MsUpstreamConn *)watch;
	gint64 now = ms_gateway_events_get_time(watch->events);

	if (revents != 0) {
		conn_ready(conn);
		if (conn->closed)
			return;
	}
	/* still armed: the deadline did not come, the socket did */
	if (ms_gateway_watch_get_armed(watch) != -1)
		return;
	/* the armed deadline came: early when the real one moved on since */
	if (now < conn->deadline) {
		if (conn->deadline != G_MAXINT64)
			ms_gateway_watch_arm(watch, conn->deadline);
		return;
	}
	if (conn->state == CONN_IDLE)
		ms_upstream_conn_close(conn);
	else
		conn_fail(conn, MS_UPSTREAM_FAILURE_TIMEOUT, "timed out");
}

static void
conn_watch_ref(MsGatewayWatch *watch)
{
	((MsUpstreamConn *)watch)->ref_count++;
}

static void
conn_watch_unref(MsGatewayWatch *watch)
{
	conn_unref((MsUpstreamConn *)watch);
}

static const MsGatewayWatchFuncs conn_watch_funcs = {
	.dispatch = conn_watch_dispatch,
	.ref = conn_watch_ref,
	.unref = conn_watch_unref,
};

/**
 * ms_upstream_conn_new:
 * @events: the worker's, which outlive the connection
 *
 * Returns: (transfer none): the connection, the keeper's until it is closed
 */
MsUpstreamConn *
ms_upstream_conn_new(GSocket *socket,
		     gboolean connecting,
		     MsGatewayEvents *events,
		     const MsUpstreamConnKeeper *keeper,
		     gpointer keeper_data)
{
	MsUpstreamConn *conn = g_new0(MsUpstreamConn, 1);

	conn->ref_count = 1;
	conn->keeper = keeper;
	conn->keeper_data = keeper_data;
	conn->socket = g_object_ref(socket);
	conn->fd = g_socket_get_fd(socket);
	conn->state = connecting ? CONN_CONNECTING : CONN_WRITING;
	conn->request = g_string_sized_new(1024);
	conn->buffer = g_malloc(MS_UPSTREAM_READ_SIZE);
	conn->headers = ms_http_fields_new();
	/*
	 * Not polled (and never dispatched for its socket) until an exchange
	 * starts. One the epoll set does not take can still time out: its
	 * exchange fails then, as one whose upstream never answers.
	 */
	ms_gateway_watch_add(&conn->watch, events, conn->fd, 0, &conn_watch_funcs);
	return conn;
}

/**
 * ms_upstream_conn_start:
 * @body: (nullable): the request body, sent after the head
 * @timeout_ms: for the connect, and then for each wait for upstream bytes
 * @until: monotonic µs by which the whole exchange ends, however steadily bytes
 *   come; -1 for none
 *
 * Sends the request written into ms_upstream_conn_get_request_buffer() and reads
 * the response. @handler->failed may be called before this returns (a pooled
 * connection found broken on write).
 */
void
ms_upstream_conn_start(MsUpstreamConn *conn,
		       GBytes *body,
		       gboolean head_request,
		       guint timeout_ms,
		       gint64 until,
		       const MsUpstreamHandler *handler,
		       gpointer user_data)
{
	conn->handler = handler;
	conn->user_data = user_data;
	conn->head_request = head_request;
	conn->timeout_usec = (gint64)timeout_ms * 1000;
	conn->until = until >= 0 ? until : G_MAXINT64;
	conn->request_offset = 0;
	conn->body = body != NULL ? g_bytes_ref(body) : NULL;
	conn->body_offset = 0;
	conn->got_bytes = FALSE;
	conn->head_scanned = 0;
	conn_arm_deadline(conn, conn_next_deadline(conn));
	if (conn->state == CONN_CONNECTING) {
		conn_set_events(conn, G_IO_OUT);
		return;
	}
	/* most requests fit the socket buffer: write now, wait only for the answer */
	conn->state = CONN_WRITING;
	conn_write(conn);
}

/**
 * ms_upstream_conn_abandon:
 *
 * The client went away: close the connection without calling back.
 */
void
ms_upstream_conn_abandon(MsUpstreamConn *conn)
{
	conn->handler = NULL;
	ms_upstream_conn_close(conn);
}

/**
 * ms_upstream_conn_set_reading:
 *
 * Flow control: stops reading the response while the client is slower than the
 * upstream, so a large body is never held whole. The timeout does not run
 * while reading is stopped.
 */
void
ms_upstream_conn_set_reading(MsUpstreamConn *conn, gboolean reading)
{
	if (conn->state != CONN_READING_BODY)
		return;
	conn_set_events(conn, reading ? G_IO_IN : 0);
	conn->deadline = reading ? conn_next_deadline(conn) : conn->until;
	if (conn->deadline != G_MAXINT64)
		conn_arm_deadline(conn, conn->deadline);
}

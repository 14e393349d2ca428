#define _GNU_SOURCE
#include "config.h"

#include "ms-upstream-private.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * One upstream connection: a GSource that owns the fd watch and the deadline, a
 * read buffer and the response framing (Content-Length, chunked, until close).
 * The head is parsed by libsoup's soup_headers_parse_response(); only the
 * chunked body framing is decoded here.
 */

typedef enum {
	CONN_IDLE,
	CONN_CONNECTING,
	CONN_WRITING,
	CONN_READING_HEAD,
	CONN_READING_BODY,
} ConnState;

typedef enum {
	CHUNK_SIZE,
	CHUNK_DATA,
	CHUNK_DATA_END,
	CHUNK_TRAILER,
} ChunkState;

#define MS_UPSTREAM_MAX_CHUNK_LINE 1024

struct _MsUpstreamConn {
	GSource source;
	MsUpstream *upstream;
	GSocket *socket;
	int fd;
	gpointer fd_tag;
	GList link; /* in upstream->idle */
	ConnState state;
	GIOCondition events;
	gint64 deadline; /* when the current wait times out */
	guint served;
	/* the exchange */
	const MsUpstreamHandler *handler;
	gpointer user_data;
	gint64 timeout_usec;
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
	SoupMessageHeaders *headers;
	SoupEncoding encoding;
	goffset remaining;
	ChunkState chunk_state;
};

/*
 * Changing a GSource's fd events or ready time writes to the main context's
 * wakeup eventfd every time, even from its own thread: done per request, that
 * was several syscalls each. So the events change only when they differ, and
 * the one ready time is moved only when it would fire too late; firing early
 * is checked against the real deadline in dispatch.
 */
static void
conn_set_events(MsUpstreamConn *conn, GIOCondition events)
{
	if (conn->events == events)
		return;
	conn->events = events;
	g_source_modify_unix_fd(&conn->source, conn->fd_tag, events);
}

static void
conn_arm_deadline(MsUpstreamConn *conn, gint64 deadline)
{
	gint64 armed = g_source_get_ready_time(&conn->source);

	conn->deadline = deadline;
	if (armed < 0 || armed > deadline)
		g_source_set_ready_time(&conn->source, deadline);
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

void
ms_upstream_conn_close(MsUpstreamConn *conn)
{
	MsUpstream *upstream = conn->upstream;

	if (conn->link.data != NULL) {
		g_queue_unlink(&upstream->idle, &conn->link);
		conn->link.data = NULL;
	}
	g_hash_table_remove(upstream->pool->conns, conn);
	g_source_destroy(&conn->source);
	g_source_unref(&conn->source);
}

static void
conn_finalize(GSource *source)
{
	MsUpstreamConn *conn = (MsUpstreamConn *)source;

	g_socket_close(conn->socket, NULL);
	g_object_unref(conn->socket);
	g_string_free(conn->request, TRUE);
	g_clear_pointer(&conn->body, g_bytes_unref);
	soup_message_headers_unref(conn->headers);
	g_free(conn->buffer);
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
		ms_upstream_pool_release(conn->upstream, conn);
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

/* returns the length of the line at start including CRLF, 0 if incomplete, -1 if bad */
static gssize
conn_line(MsUpstreamConn *conn)
{
	const char *p = memchr(conn->buffer + conn->start, '\n', conn->end - conn->start);

	if (p == NULL)
		return conn->end - conn->start > MS_UPSTREAM_MAX_CHUNK_LINE ? -1 : 0;
	return p - (conn->buffer + conn->start) + 1;
}

/* FALSE when the connection is gone (finished or failed) or needs more data */
static gboolean
conn_chunked_step(MsUpstreamConn *conn, gboolean *gone)
{
	gssize line = 0;
	guint64 size = 0;
	gsize avail = conn->end - conn->start;
	const char *text = conn->buffer + conn->start;

	switch (conn->chunk_state) {
	case CHUNK_SIZE:
		line = conn_line(conn);
		if (line <= 0)
			break;
		/* hex size, optionally followed by ;extensions */
		for (gssize i = 0; i < line && g_ascii_isxdigit(text[i]); i++) {
			if (size > G_MAXUINT32)
				break;
			size = size * 16 + g_ascii_xdigit_value(text[i]);
		}
		if (!g_ascii_isxdigit(text[0]) || size > G_MAXUINT32) {
			conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "bad chunk size");
			*gone = TRUE;
			return FALSE;
		}
		conn->start += line;
		conn->remaining = (goffset)size;
		conn->chunk_state = size == 0 ? CHUNK_TRAILER : CHUNK_DATA;
		return TRUE;
	case CHUNK_DATA:
		if (avail == 0)
			break;
		conn_deliver(conn, MIN(avail, (gsize)conn->remaining));
		conn->remaining -= MIN(avail, (gsize)conn->remaining);
		if (conn->remaining == 0)
			conn->chunk_state = CHUNK_DATA_END;
		return TRUE;
	case CHUNK_DATA_END:
		line = conn_line(conn);
		if (line <= 0)
			break;
		conn->start += line;
		conn->chunk_state = CHUNK_SIZE;
		return TRUE;
	case CHUNK_TRAILER:
		line = conn_line(conn);
		if (line <= 0)
			break;
		conn->start += line;
		/* trailers are dropped; the empty line ends the body */
		if (line <= 2 && (line == 1 || text[0] == '\r')) {
			conn_finish(conn);
			*gone = TRUE;
			return FALSE;
		}
		return TRUE;
	default:
		g_assert_not_reached();
	}
	if (line < 0) {
		conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "chunk line too long");
		*gone = TRUE;
	}
	return FALSE;
}

/* consumes what the buffer holds of the body; returns FALSE when the conn is gone */
static gboolean
conn_process_body(MsUpstreamConn *conn)
{
	gboolean gone = FALSE;
	gsize avail;

	switch (conn->encoding) {
	case SOUP_ENCODING_CHUNKED:
		while (conn_chunked_step(conn, &gone))
			;
		return !gone;
	case SOUP_ENCODING_EOF:
		avail = conn->end - conn->start;
		if (avail > 0)
			conn_deliver(conn, avail);
		return TRUE;
	case SOUP_ENCODING_CONTENT_LENGTH:
		avail = MIN(conn->end - conn->start, (gsize)conn->remaining);
		if (avail > 0) {
			conn_deliver(conn, avail);
			conn->remaining -= avail;
		}
		if (conn->remaining > 0)
			return TRUE;
		conn_finish(conn);
		return FALSE;
	default:
		conn_finish(conn);
		return FALSE;
	}
}

static gboolean
conn_process_head(MsUpstreamConn *conn)
{
	const char *head = conn->buffer + conn->start;
	const char *blank = memmem(head, conn->end - conn->start, "\r\n\r\n", 4);
	gsize head_length;
	SoupHTTPVersion version = SOUP_HTTP_1_1;
	guint status = 0;
	g_autofree char *reason = NULL;
	goffset content_length = -1;

	if (blank == NULL) {
		if (conn->end - conn->start >= MS_UPSTREAM_READ_SIZE) {
			conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "response head too large");
			return FALSE;
		}
		return TRUE;
	}
	head_length = blank + 4 - head;
	soup_message_headers_clear(conn->headers);
	if (!soup_headers_parse_response(head,
					 (int)head_length,
					 conn->headers,
					 &version,
					 &status,
					 &reason) ||
	    status < 100 || status > 999) {
		conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "malformed response head");
		return FALSE;
	}
	conn->start += head_length;
	/* interim responses (103 Early Hints, a stray 100) are not forwarded */
	if (status < 200)
		return conn_process_head(conn);

	conn->keep_alive = version == SOUP_HTTP_1_1
				   ? !soup_message_headers_header_contains(conn->headers,
									   "Connection",
									   "close")
				   : soup_message_headers_header_contains(conn->headers,
									  "Connection",
									  "keep-alive");
	conn->encoding = soup_message_headers_get_encoding(conn->headers);
	if (conn->head_request || status == SOUP_STATUS_NO_CONTENT ||
	    status == SOUP_STATUS_NOT_MODIFIED)
		conn->encoding = SOUP_ENCODING_NONE;
	if (conn->encoding == SOUP_ENCODING_UNRECOGNIZED) {
		conn_fail(conn, MS_UPSTREAM_FAILURE_PROTOCOL, "unknown transfer encoding");
		return FALSE;
	}
	if (conn->encoding == SOUP_ENCODING_EOF)
		conn->keep_alive = FALSE;
	if (conn->encoding == SOUP_ENCODING_CONTENT_LENGTH) {
		conn->remaining = soup_message_headers_get_content_length(conn->headers);
		content_length = conn->remaining;
	}
	if (conn->head_request)
		content_length = soup_message_headers_get_content_length(conn->headers);
	conn->chunk_state = CHUNK_SIZE;
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

	/* keep the unconsumed tail; room for a full head or chunk line */
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
		if (conn->state == CONN_READING_BODY && conn->encoding == SOUP_ENCODING_EOF) {
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
	conn->deadline = g_get_monotonic_time() + conn->timeout_usec;
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

static gboolean
conn_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	MsUpstreamConn *conn = (MsUpstreamConn *)source;
	GIOCondition events = g_source_query_unix_fd(source, conn->fd_tag);

	if (events == 0) {
		/* woken by the ready time: early when the deadline moved on since */
		if (g_source_get_time(source) < conn->deadline) {
			g_source_set_ready_time(source, conn->deadline);
			return G_SOURCE_CONTINUE;
		}
		if (conn->state == CONN_IDLE)
			ms_upstream_conn_close(conn);
		else
			conn_fail(conn, MS_UPSTREAM_FAILURE_TIMEOUT, "timed out");
		return G_SOURCE_CONTINUE;
	}
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
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = {
	.dispatch = conn_dispatch,
	.finalize = conn_finalize,
};

MsUpstreamConn *
ms_upstream_conn_new(MsUpstream *upstream, GSocket *socket, gboolean connecting)
{
	GSource *source = g_source_new(&conn_source_funcs, sizeof(MsUpstreamConn));
	MsUpstreamConn *conn = (MsUpstreamConn *)source;

	g_source_set_name(source, "microsoup upstream connection");
	/*
	 * GLib blocks a dispatching source by taking its fds out of the poll set and
	 * putting them back after, and each put-back writes the wakeup eventfd. This
	 * dispatch never runs a nested loop, so it need not be blocked.
	 */
	g_source_set_can_recurse(source, TRUE);
	conn->upstream = upstream;
	conn->socket = g_object_ref(socket);
	conn->fd = g_socket_get_fd(socket);
	conn->state = connecting ? CONN_CONNECTING : CONN_WRITING;
	conn->request = g_string_sized_new(1024);
	conn->buffer = g_malloc(MS_UPSTREAM_READ_SIZE);
	conn->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	conn->fd_tag = g_source_add_unix_fd(source, conn->fd, 0);
	g_source_attach(source, upstream->pool->context);
	return conn;
}

/**
 * ms_upstream_conn_start:
 * @body: (nullable): the request body, sent after the head
 * @timeout_ms: for the connect, and then for each wait for upstream bytes
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
		       const MsUpstreamHandler *handler,
		       gpointer user_data)
{
	conn->handler = handler;
	conn->user_data = user_data;
	conn->head_request = head_request;
	conn->timeout_usec = (gint64)timeout_ms * 1000;
	conn->request_offset = 0;
	conn->body = body != NULL ? g_bytes_ref(body) : NULL;
	conn->body_offset = 0;
	conn->got_bytes = FALSE;
	conn_arm_deadline(conn, g_get_monotonic_time() + conn->timeout_usec);
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
	conn->deadline = reading ? g_get_monotonic_time() + conn->timeout_usec : G_MAXINT64;
	if (reading)
		conn_arm_deadline(conn, conn->deadline);
}

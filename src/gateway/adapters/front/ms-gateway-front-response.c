#include "config.h"

#include "gateway/adapters/front/ms-gateway-front-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/ms-http-header.h"
#include "common/ms-response.h"

/*
 * The writing half of the front: the core's answers (MsGatewayFrontClass)
 * become HTTP/1.1 in one output buffer per connection, written with as few
 * send() calls as possible: when the buffer passes 64 KiB, when an answer of
 * unknown length (maybe a stream) gets more, and at its end. A client that
 * reads slower than that is waited for with G_IO_OUT, at most 60 s without
 * progress; past half of MS_GATEWAY_MAX_UNWRITTEN the core is told when it
 * may send more.
 */

#define FRONT_FLUSH_BYTES        (64 * 1024)
#define FRONT_WRITE_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
/* an output buffer larger than this is freed once its answer is written */
#define FRONT_OUT_KEEP_BYTES (16 * 1024)

static const char *
front_date(MsGatewayFront *front)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	/* one formatted Date a second per worker, as nginx caches its time */
	if (now != front->date_second) {
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
		g_autofree char *text = soup_date_time_to_string(dt, SOUP_DATE_HTTP);

		g_strlcpy(front->date, text, sizeof front->date);
		front->date_second = now;
	}
	return front->date;
}

static gsize
conn_unwritten(FrontConn *conn)
{
	return conn->out->len - conn->out_start;
}

/**
 * front_conn_flush:
 *
 * Writes what the output buffer holds, or as much as the socket takes.
 *
 * Returns: %FALSE when the client is gone
 */
gboolean
front_conn_flush(FrontConn *conn)
{
	while (conn->out_start < conn->out->len) {
		gssize n = send(conn->fd,
				conn->out->str + conn->out_start,
				conn->out->len - conn->out_start,
				MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return FALSE;
			if (!(conn->events & G_IO_OUT)) {
				front_conn_set_events(conn, conn->events | G_IO_OUT);
				if (conn->state == FRONT_CONN_ANSWERING) {
					conn->deadline =
						g_get_monotonic_time() + FRONT_WRITE_TIMEOUT_USEC;
					front_conn_arm(conn);
				}
			}
			/* what is written is not kept */
			if (conn->out_start >= FRONT_FLUSH_BYTES) {
				g_string_erase(conn->out, 0, (gssize)conn->out_start);
				conn->out_start = 0;
			}
			return TRUE;
		}
		conn->out_start += (gsize)n;
		/* progress pushes the write deadline back; found when the armed one fires */
		if ((conn->events & G_IO_OUT) && conn->state == FRONT_CONN_ANSWERING)
			conn->deadline = g_get_monotonic_time() + FRONT_WRITE_TIMEOUT_USEC;
	}
	g_string_truncate(conn->out, 0);
	conn->out_start = 0;
	if (conn->events & G_IO_OUT) {
		front_conn_set_events(conn, conn->events & ~G_IO_OUT);
		if (conn->state == FRONT_CONN_ANSWERING)
			conn->deadline = -1;
	}
	return TRUE;
}

/* the client waits for a go-ahead before it sends the body (Expect: 100-continue) */
void
front_conn_write_continue(FrontConn *conn)
{
	g_string_append(conn->out, "HTTP/1.1 100 Continue\r\n\r\n");
	if (!front_conn_flush(conn)) {
		conn->broken = TRUE;
		front_conn_wake(conn);
	}
}

/* ready for the next answer */
void
front_conn_reset_response(FrontConn *conn)
{
	/* like the input: an answer that grew the buffer does not stay in it while idle */
	if (conn->out->len == 0 && conn->out->allocated_len > FRONT_OUT_KEEP_BYTES) {
		g_string_free(conn->out, TRUE);
		conn->out = g_string_sized_new(FRONT_OUT_KEEP_BYTES / 4);
	}
	conn->head_method = FALSE;
	conn->no_body = FALSE;
	conn->chunked_out = FALSE;
	conn->answered = FALSE;
	conn->throttled = FALSE;
}

static void
append_status_line(FrontConn *conn, guint status, const char *reason)
{
	char code[16];

	if (reason == NULL || strpbrk(reason, "\r\n") != NULL)
		reason = ms_response_status_phrase(status);
	if (reason == NULL)
		reason = soup_status_get_phrase(status);
	g_snprintf(code, sizeof code, " %u ", status);
	g_string_append(conn->out, conn->version == SOUP_HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1");
	g_string_append(conn->out, code);
	g_string_append(conn->out, reason);
	g_string_append(conn->out, "\r\nDate: ");
	g_string_append(conn->out, front_date(conn->front));
	g_string_append(conn->out, "\r\nServer: microsoup-gateway\r\n");
}

/* what the front writes itself: the framing, the connection, Date and Server */
static gboolean
is_front_header(const char *name)
{
	switch (name[0]) {
	case 'D':
	case 'd':
		return g_ascii_strcasecmp(name, "Date") == 0;
	case 'S':
	case 's':
		return g_ascii_strcasecmp(name, "Server") == 0;
	default:
		return ms_http_header_is_hop_by_hop(name);
	}
}

static void
front_respond_head(gpointer front,
		   guint status,
		   const char *reason,
		   SoupMessageHeaders *headers,
		   goffset content_length)
{
	FrontConn *conn = front;
	const char *connection = soup_message_headers_get_list(headers, "Connection");
	GString *out = conn->out;
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;
	gboolean never_body;

	/* answered before it was admitted (a 401, a 404...) */
	if (conn->state == FRONT_CONN_ADMITTING)
		conn->state = FRONT_CONN_ANSWERING;
	/* a body nobody read cannot be told from the next request: close after the answer */
	if (conn->body_unread) {
		conn->body_unread = FALSE;
		conn->close_after = TRUE;
		conn->linger = TRUE;
	}
	/* the core's own refusals say Connection: close */
	if (connection != NULL && soup_header_contains(connection, "close"))
		conn->close_after = TRUE;
	if (conn->front->stopping)
		conn->close_after = TRUE;
	/* RFC 9110 §6.4.1: these never have a body, nor a length */
	never_body = status < 200 || status == SOUP_STATUS_NO_CONTENT ||
		     status == SOUP_STATUS_NOT_MODIFIED;
	conn->no_body = conn->head_method || never_body;
	append_status_line(conn, status, reason);
	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (is_front_header(name))
			continue;
		g_string_append(out, name);
		g_string_append(out, ": ");
		g_string_append(out, value);
		g_string_append(out, "\r\n");
	}
	if (never_body) {
		/* RFC 9110 §8.6: no length where there is never a body */
	} else if (content_length >= 0) {
		/* a HEAD answer keeps the length of what GET would send */
		g_string_append_printf(out,
				       "Content-Length: %" G_GOFFSET_FORMAT "\r\n",
				       content_length);
	} else if (conn->no_body) {
		/* HEAD of a body of unknown length: nothing to frame */
	} else if (conn->version == SOUP_HTTP_1_0) {
		/* HTTP/1.0 has no chunked: the body ends where the connection does */
		conn->close_after = TRUE;
	} else {
		conn->chunked_out = TRUE;
		g_string_append(out, "Transfer-Encoding: chunked\r\n");
	}
	if (conn->close_after)
		g_string_append(out, "Connection: close\r\n");
	else if (conn->version == SOUP_HTTP_1_0)
		g_string_append(out, "Connection: keep-alive\r\n");
	g_string_append(out, "\r\n");
}

static void
front_respond_body(gpointer front, const char *data, gsize length)
{
	FrontConn *conn = front;
	char size[32];

	if (conn->no_body || conn->broken || length == 0)
		return;
	if (conn->chunked_out) {
		g_snprintf(size, sizeof size, "%" G_GSIZE_MODIFIER "x\r\n", length);
		g_string_append(conn->out, size);
	}
	g_string_append_len(conn->out, data, (gssize)length);
	if (conn->chunked_out)
		g_string_append(conn->out, "\r\n");
	/* an answer of unknown length may be a stream: what came goes out */
	if (conn_unwritten(conn) >= FRONT_FLUSH_BYTES || conn->chunked_out) {
		if (!front_conn_flush(conn)) {
			/* the request ends from the connection's dispatch, not in here */
			conn->broken = TRUE;
			g_string_truncate(conn->out, 0);
			conn->out_start = 0;
			front_conn_wake(conn);
			return;
		}
	}
	if (conn_unwritten(conn) > MS_GATEWAY_MAX_UNWRITTEN / 2)
		conn->throttled = TRUE;
}

static void
front_respond_end(gpointer front)
{
	FrontConn *conn = front;

	conn->answered = TRUE;
	if (conn->broken) {
		front_conn_close(conn, TRUE);
		return;
	}
	if (conn->chunked_out)
		g_string_append(conn->out, "0\r\n\r\n");
	if (!front_conn_flush(conn)) {
		front_conn_close(conn, TRUE);
		return;
	}
	/* else the rest goes out from the dispatch, which then ends the request */
	if (conn_unwritten(conn) == 0)
		front_conn_answer_written(conn);
}

static void
front_cut(gpointer front)
{
	FrontConn *conn = front;

	/* what is there goes out if it can; the missing end tells the client */
	conn->answered = TRUE;
	if (!conn->broken)
		front_conn_flush(conn);
	front_conn_close(conn, FALSE);
}

static gsize
front_get_unwritten(gpointer front)
{
	return conn_unwritten(front);
}

static void
front_read_body_func(gpointer front)
{
	front_read_body(front);
}

const MsGatewayFrontClass ms_gateway_front_class = {
	.respond_head = front_respond_head,
	.respond_body = front_respond_body,
	.respond_end = front_respond_end,
	.cut = front_cut,
	.get_unwritten = front_get_unwritten,
	.read_body = front_read_body_func,
};

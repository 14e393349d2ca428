/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/front/ms-gateway-front-output.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/ms-log.h"
#include "common/ms-response.h"
#include "gateway/core/ms-head-put.h"

/*
 * Answers become HTTP/1.1 in one buffer per connection, written with as few
 * send() calls as the connection asks for (ms-gateway-front-conn.c decides
 * when). Calls nothing of the front's: the files above it call down into it.
 */

/* the usual size of an output buffer; one that grew past four times that is
 * freed once its answer is written */
#define OUTPUT_USUAL_BYTES (4 * 1024)
#define OUTPUT_KEEP_BYTES  (4 * OUTPUT_USUAL_BYTES)
/*
 * spare buffers a worker keeps for its answers in flight: beyond them a
 * buffer is allocated and freed with its answer, which costs a malloc() and
 * a free(), not what an idle connection holds
 */
#define OUTPUT_SPARES 64

static void
string_free(gpointer string)
{
	g_string_free(string, TRUE);
}

/* Returns: (transfer full): a worker's spare buffers, for its connections' outputs */
GPtrArray *
ms_gateway_front_output_spares_new(void)
{
	return g_ptr_array_new_full(OUTPUT_SPARES, string_free);
}

/* @spares: outlives the output */
void
ms_gateway_front_output_init(MsGatewayFrontOutput *self, GPtrArray *spares)
{
	self->buffer = NULL;
	self->start = 0;
	self->spares = spares;
}

void
ms_gateway_front_output_clear(MsGatewayFrontOutput *self)
{
	if (self->buffer != NULL)
		g_string_free(self->buffer, TRUE);
	self->buffer = NULL;
	self->start = 0;
}

/* bytes appended and not yet taken by the socket */
gsize
ms_gateway_front_output_get_unwritten(const MsGatewayFrontOutput *self)
{
	return self->buffer != NULL ? self->buffer->len - self->start : 0;
}

/* where an answer's bytes go: a spare buffer, taken when the answer begins */
static GString *
output_take_buffer(MsGatewayFrontOutput *self)
{
	if (self->buffer != NULL)
		return self->buffer;
	if (self->spares->len > 0)
		self->buffer = g_ptr_array_steal_index_fast(self->spares, self->spares->len - 1);
	else
		self->buffer = g_string_sized_new(OUTPUT_USUAL_BYTES);
	return self->buffer;
}

/* the client waits for a go-ahead before it sends the body (Expect: 100-continue) */
void
ms_gateway_front_output_append_continue(MsGatewayFrontOutput *self)
{
	g_string_append(output_take_buffer(self), "HTTP/1.1 100 Continue\r\n\r\n");
}

/* one formatted Date a second per worker thread, as nginx caches its time */
static const char *
current_date(void)
{
	static __thread gint64 cached_second = -1;
	static __thread char cached[64];
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (now != cached_second) {
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
		g_autofree char *text = soup_date_time_to_string(dt, SOUP_DATE_HTTP);

		g_strlcpy(cached, text, sizeof cached);
		cached_second = now;
	}
	return cached;
}

static void
append_status_line(GString *out, SoupHTTPVersion version, guint status, const char *reason)
{
	/* the code by hand, not by printf(): this runs for every answer */
	char code[] = { ' ',
			(char)('0' + status / 100 % 10),
			(char)('0' + status / 10 % 10),
			(char)('0' + status % 10),
			' ',
			'\0' };

	g_return_if_fail(status >= 100 && status <= 999);
	if (reason == NULL || strpbrk(reason, "\r\n") != NULL)
		reason = ms_response_status_phrase(status);
	if (reason == NULL)
		reason = soup_status_get_phrase(status);
	ms_head_put_len(out, version == SOUP_HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", 8);
	ms_head_put_len(out, code, 5);
	ms_head_put(out, reason);
	ms_head_put(out, "\r\nDate: ");
	ms_head_put(out, current_date());
	ms_head_put(out, "\r\nServer: microsoup-gateway\r\n");
}

/* what the front writes itself: the framing, the connection, Date and Server */
static gboolean
is_front_header(MsHttpFieldId id)
{
	return id == MS_HTTP_FIELD_DATE || id == MS_HTTP_FIELD_SERVER ||
	       ms_http_field_is_hop_by_hop(id);
}

void
ms_gateway_front_output_append_head(MsGatewayFrontOutput *self, const MsGatewayFrontHead *head)
{
	GString *out = output_take_buffer(self);
	MsHttpFieldsIter iter;
	const MsHttpField *field;
	char length[MS_LOG_UINT_SIZE];

	append_status_line(out, head->version, head->status, head->reason);
	ms_http_fields_iter_init(&iter, head->headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (is_front_header(field->id))
			continue;
		ms_http_field_write(field, out);
	}
	switch (head->framing) {
	case MS_GATEWAY_FRONT_FRAMING_LENGTH:
		ms_head_put(out, "Content-Length: ");
		ms_head_put(out, ms_log_format_uint((guint64)head->content_length, length));
		ms_head_put(out, "\r\n");
		break;
	case MS_GATEWAY_FRONT_FRAMING_CHUNKED:
		ms_head_put(out, "Transfer-Encoding: chunked\r\n");
		break;
	case MS_GATEWAY_FRONT_FRAMING_NONE:
	default:
		break;
	}
	switch (head->connection) {
	case MS_GATEWAY_FRONT_CONNECTION_CLOSE:
		ms_head_put(out, "Connection: close\r\n");
		break;
	case MS_GATEWAY_FRONT_CONNECTION_KEEP_ALIVE:
		ms_head_put(out, "Connection: keep-alive\r\n");
		break;
	case MS_GATEWAY_FRONT_CONNECTION_DEFAULT:
	default:
		break;
	}
	ms_head_put(out, "\r\n");
}

/* @length > 0: a chunk of size 0 would end a chunked body */
void
ms_gateway_front_output_append_body(MsGatewayFrontOutput *self,
				    const char *data,
				    gsize length,
				    gboolean chunked)
{
	GString *out = output_take_buffer(self);
	char size[32];

	g_return_if_fail(length > 0);
	if (chunked) {
		g_snprintf(size, sizeof size, "%" G_GSIZE_MODIFIER "x\r\n", length);
		g_string_append(out, size);
	}
	g_string_append_len(out, data, (gssize)length);
	if (chunked)
		g_string_append(out, "\r\n");
}

void
ms_gateway_front_output_append_last_chunk(MsGatewayFrontOutput *self)
{
	g_string_append(output_take_buffer(self), "0\r\n\r\n");
}

/**
 * ms_gateway_front_output_flush:
 * @fd: the client's non-blocking socket
 *
 * Writes what the buffer holds, or as much as the socket takes.
 */
MsGatewayFrontFlush
ms_gateway_front_output_flush(MsGatewayFrontOutput *self, int fd)
{
	if (self->buffer == NULL)
		return MS_GATEWAY_FRONT_FLUSH_DONE;
	while (self->start < self->buffer->len) {
		gssize n = send(fd,
				self->buffer->str + self->start,
				self->buffer->len - self->start,
				MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return MS_GATEWAY_FRONT_FLUSH_FAILED;
			/* what is written is not kept */
			if (self->start >= MS_GATEWAY_FRONT_FLUSH_BYTES) {
				g_string_erase(self->buffer, 0, (gssize)self->start);
				self->start = 0;
			}
			return MS_GATEWAY_FRONT_FLUSH_PENDING;
		}
		self->start += (gsize)n;
	}
	ms_gateway_front_output_discard(self);
	return MS_GATEWAY_FRONT_FLUSH_DONE;
}

/* written, or for a client that is gone: nothing is left to write */
void
ms_gateway_front_output_discard(MsGatewayFrontOutput *self)
{
	if (self->buffer != NULL)
		g_string_truncate(self->buffer, 0);
	self->start = 0;
}

/*
 * The answer is written: its buffer goes back to the spares, unless it grew
 * for a large answer or enough are spare already.
 */
void
ms_gateway_front_output_release(MsGatewayFrontOutput *self)
{
	GString *buffer = self->buffer;

	if (buffer == NULL || ms_gateway_front_output_get_unwritten(self) > 0)
		return;
	self->buffer = NULL;
	self->start = 0;
	g_string_truncate(buffer, 0);
	if (buffer->allocated_len > OUTPUT_KEEP_BYTES || self->spares->len >= OUTPUT_SPARES)
		g_string_free(buffer, TRUE);
	else
		g_ptr_array_add(self->spares, buffer);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-wire-client.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

/* every read waits at most this long: a server that stays silent fails the test */
#define MS_WIRE_TIMEOUT_S 10
/* a head longer than this is a server bug, not something to wait for */
#define MS_WIRE_MAX_HEAD (1024 * 1024)
/* every problem type is a URN of ours */
#define PROBLEM_PREFIX "urn:microsoup:problem:"

struct _MsWireConn {
	GSocket *socket;
	GByteArray *buffer; /* read and not consumed yet */
	gsize total;
	gsize read_size;
	MsWireReadFunc func;
	gpointer user_data;
};

MsWireConn *
ms_wire_conn_new(const char *socket_path)
{
	MsWireConn *self = g_new0(MsWireConn, 1);
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
	g_autoptr(GError) error = NULL;

	self->socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(self->socket, MS_WIRE_TIMEOUT_S);
	g_socket_connect(self->socket, address, NULL, &error);
	g_assert_no_error(error);
	self->buffer = g_byte_array_new();
	self->read_size = 16 * 1024;
	return self;
}

void
ms_wire_conn_free(MsWireConn *self)
{
	if (self == NULL)
		return;
	g_socket_close(self->socket, NULL);
	g_object_unref(self->socket);
	g_byte_array_unref(self->buffer);
	g_free(self);
}

/**
 * ms_wire_conn_set_reader:
 * @read_size: bytes asked for per read (a small size reads slowly)
 * @func: (nullable): called after each read
 */
void
ms_wire_conn_set_reader(MsWireConn *self, gsize read_size, MsWireReadFunc func, gpointer user_data)
{
	self->read_size = read_size;
	self->func = func;
	self->user_data = user_data;
}

/**
 * ms_wire_conn_send:
 *
 * Returns: %FALSE when the server closed before taking everything, which some
 * tests expect (a server may answer 413 or 431 without reading the rest)
 */
gboolean
ms_wire_conn_send(MsWireConn *self, const void *data, gsize length)
{
	gsize sent = 0;

	while (sent < length) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_send(self->socket,
					 (const char *)data + sent,
					 length - sent,
					 NULL,
					 &error);
		if (n < 0) {
			g_assert_false(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
			return FALSE;
		}
		sent += n;
	}
	return TRUE;
}

void
ms_wire_conn_send_str(MsWireConn *self, const char *text)
{
	g_assert_true(ms_wire_conn_send(self, text, strlen(text)));
}

/* Returns: the bytes read, 0 at the end of the stream, -1 when the server reset it */
static gssize
read_more(MsWireConn *self)
{
	g_autofree char *chunk = g_malloc(self->read_size);
	g_autoptr(GError) error = NULL;
	gssize n = g_socket_receive(self->socket, chunk, self->read_size, NULL, &error);

	if (n < 0) {
		/* ECONNRESET: the server closed with bytes of ours still unread */
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
			return -1;
		g_assert_no_error(error);
	}
	g_byte_array_append(self->buffer, (const guint8 *)chunk, n);
	self->total += n;
	if (n > 0 && self->func != NULL)
		self->func(self->total, self->user_data);
	return n;
}

/* reads what has come, at least one byte, for a test that leaves mid-answer */
void
ms_wire_conn_read_some(MsWireConn *self)
{
	g_assert_cmpint(read_more(self), >, 0);
}

/* reads until at least @length bytes are buffered; an early end fails the test */
static void
fill(MsWireConn *self, gsize length)
{
	while (self->buffer->len < length) {
		/* the server closed (or reset) before all of it came */
		g_assert_cmpint(read_more(self), >, 0);
	}
}

static gssize
find(MsWireConn *self, const char *needle, gsize from)
{
	gsize len = strlen(needle);

	for (gsize i = from; i + len <= self->buffer->len; i++) {
		if (memcmp(self->buffer->data + i, needle, len) == 0)
			return (gssize)i;
	}
	return -1;
}

/* Returns: the offset just after @needle, read as far as needed */
static gsize
fill_until(MsWireConn *self, const char *needle)
{
	gsize from = 0;

	for (;;) {
		gssize at = find(self, needle, from);
		if (at >= 0)
			return (gsize)at + strlen(needle);
		g_assert_cmpuint(self->buffer->len, <, MS_WIRE_MAX_HEAD);
		from = self->buffer->len >= strlen(needle) ? self->buffer->len - strlen(needle) : 0;
		/* the server closed (or reset) before @needle came */
		g_assert_cmpint(read_more(self), >, 0);
	}
}

static void
consume(MsWireConn *self, gsize length, GByteArray *into)
{
	if (into != NULL)
		g_byte_array_append(into, self->buffer->data, length);
	g_byte_array_remove_range(self->buffer, 0, length);
}

static void
read_chunked(MsWireConn *self, GByteArray *body)
{
	for (;;) {
		gsize line_end = fill_until(self, "\r\n");
		g_autofree char *line = g_strndup((const char *)self->buffer->data, line_end);
		char *end = NULL;
		guint64 size = g_ascii_strtoull(line, &end, 16);

		g_assert_true(end != line);
		consume(self, line_end, NULL);
		if (size == 0)
			break;
		fill(self, size + 2);
		consume(self, size, body);
		g_assert_cmpmem(self->buffer->data, 2, "\r\n", 2);
		consume(self, 2, NULL);
	}
	/* trailers, then the empty line */
	for (;;) {
		gsize line_end = fill_until(self, "\r\n");
		consume(self, line_end, NULL);
		if (line_end == 2)
			return;
	}
}

static void
read_body(MsWireConn *self, MsWireResponse *response, gboolean head_request)
{
	g_autoptr(GByteArray) body = g_byte_array_new();
	const char *te = soup_message_headers_get_one(response->headers, "Transfer-Encoding");
	const char *cl = soup_message_headers_get_one(response->headers, "Content-Length");

	if (head_request || response->status < 200 || response->status == 204 ||
	    response->status == 304) {
		/* nothing */
	} else if (te != NULL) {
		g_assert_cmpstr(te, ==, "chunked");
		read_chunked(self, body);
	} else if (cl != NULL) {
		guint64 length = 0;
		g_autoptr(GError) error = NULL;

		g_ascii_string_to_unsigned(cl, 10, 0, G_MAXUINT32, &length, &error);
		g_assert_no_error(error);
		fill(self, length);
		consume(self, length, body);
	} else {
		/* delimited by the close */
		while (read_more(self) > 0)
			;
		consume(self, self->buffer->len, body);
	}
	response->body = g_byte_array_free_to_bytes(g_steal_pointer(&body));
}

static void
parse_json(MsWireResponse *response)
{
	const char *type = soup_message_headers_get_content_type(response->headers, NULL);
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error = NULL;
	gsize size = 0;
	const char *data = g_bytes_get_data(response->body, &size);

	if (size == 0 || type == NULL ||
	    (g_strcmp0(type, "application/json") != 0 &&
	     g_strcmp0(type, "application/problem+json") != 0))
		return;
	parser = json_parser_new_immutable();
	json_parser_load_from_data(parser, data, (gssize)size, &error);
	g_assert_no_error(error);
	response->json = json_node_ref(json_parser_get_root(parser));
}

/**
 * ms_wire_conn_read_response:
 * @head_request: the answer is to a HEAD request, so it has no body
 *
 * Reads one answer (a 1xx counts as one) framed as the server framed it.
 */
MsWireResponse *
ms_wire_conn_read_response(MsWireConn *self, gboolean head_request)
{
	g_autoptr(MsWireResponse) response = g_new0(MsWireResponse, 1);
	gsize head_end = fill_until(self, "\r\n\r\n");
	gsize line_end = (gsize)find(self, "\r\n", 0);
	SoupHTTPVersion version;

	response->status_line = g_strndup((const char *)self->buffer->data, line_end);
	response->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	g_test_message("answer: %s", response->status_line);
	g_assert_true(soup_headers_parse_response((const char *)self->buffer->data,
						  (int)head_end,
						  response->headers,
						  &version,
						  &response->status,
						  NULL));
	consume(self, head_end, NULL);
	read_body(self, response, head_request);
	parse_json(response);
	return g_steal_pointer(&response);
}

/**
 * ms_wire_conn_wait_closed:
 * @allow_reset: count a reset as closed: a server that closes without reading
 *   all we sent makes the kernel report ECONNRESET after the answer
 *
 * Returns: %TRUE when the server closed the connection without sending more
 */
gboolean
ms_wire_conn_wait_closed(MsWireConn *self, gboolean allow_reset)
{
	gssize n;

	if (self->buffer->len > 0)
		return FALSE;
	n = read_more(self);
	if (n < 0)
		return allow_reset;
	return n == 0;
}

/**
 * ms_wire_conn_read_all:
 *
 * Reads until the server closes or resets the connection, for answers whose
 * framing is itself what a test checks (e.g. a body cut short).
 *
 * Returns: (transfer full): every byte not consumed yet
 */
GBytes *
ms_wire_conn_read_all(MsWireConn *self)
{
	GBytes *all;

	while (read_more(self) > 0)
		;
	all = g_bytes_new(self->buffer->data, self->buffer->len);
	consume(self, self->buffer->len, NULL);
	return all;
}

void
ms_wire_response_free(MsWireResponse *self)
{
	if (self == NULL)
		return;
	g_free(self->status_line);
	g_clear_pointer(&self->headers, soup_message_headers_unref);
	g_clear_pointer(&self->body, g_bytes_unref);
	g_clear_pointer(&self->json, json_node_unref);
	g_free(self);
}

const char *
ms_wire_response_get_header(MsWireResponse *self, const char *name)
{
	return soup_message_headers_get_one(self->headers, name);
}

const char *
ms_wire_response_get_string(MsWireResponse *self, const char *member)
{
	g_assert_nonnull(self->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(self->json));
	return json_object_get_string_member_with_default(json_node_get_object(self->json),
							  member,
							  NULL);
}

/**
 * ms_wire_assert_problem:
 * @type: (nullable): the short problem type, e.g. "not_found"; %NULL takes any
 *   microsoup type
 *
 * Asserts @self is a problem+json answer of @status with a request id, the same
 * as X-Request-ID when the answer has that header.
 */
void
ms_wire_assert_problem(MsWireResponse *self, guint status, const char *type)
{
	const char *header_id = ms_wire_response_get_header(self, "X-Request-ID");
	const char *urn;
	JsonObject *object;

	g_assert_cmpuint(self->status, ==, status);
	g_assert_cmpstr(soup_message_headers_get_content_type(self->headers, NULL),
			==,
			"application/problem+json");
	g_assert_nonnull(self->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(self->json));
	object = json_node_get_object(self->json);
	urn = ms_wire_response_get_string(self, "type");
	g_assert_nonnull(urn);
	/* compared whole, so a failure shows the type that came */
	if (type != NULL || !g_str_has_prefix(urn, PROBLEM_PREFIX)) {
		g_autofree char *expected = g_strconcat(PROBLEM_PREFIX, type, NULL);
		g_assert_cmpstr(urn, ==, expected);
	}
	g_assert_cmpint(json_object_get_int_member_with_default(object, "status", -1), ==, status);
	g_assert_nonnull(ms_wire_response_get_string(self, "title"));
	g_assert_nonnull(ms_wire_response_get_string(self, "request_id"));
	if (header_id != NULL)
		g_assert_cmpstr(ms_wire_response_get_string(self, "request_id"), ==, header_id);
}

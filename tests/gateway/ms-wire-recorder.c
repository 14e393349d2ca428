/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-wire-recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ms-test-utils.h"

/* more than this without a complete request is not something to wait for */
#define MAX_REQUEST_BYTES (4 * 1024 * 1024)

typedef struct {
	int fd;
	guint index;
	GByteArray *buffer; /* read and not parsed yet */
} Conn;

typedef struct {
	GBytes *raw;
	gboolean close_after;
} Script;

struct _MsWireRecorder {
	GThread *thread;
	char *dir;
	char *socket_path;
	int listen_fd;
	int wake[2]; /* written to by ms_wire_recorder_free() */

	/* under lock: shared with the thread */
	GMutex lock;
	GCond cond;
	GPtrArray *records; /* MsWireRecord */
	GQueue scripts;     /* Script */
	GPtrArray *extra_names;
	GPtrArray *extra_values;
	guint n_connections;
};

static void
record_free(MsWireRecord *record)
{
	g_bytes_unref(record->raw);
	g_free(record->head);
	g_free(record->method);
	g_free(record->target);
	g_ptr_array_unref(record->names);
	g_ptr_array_unref(record->values);
	g_bytes_unref(record->body);
	g_free(record);
}

static void
script_free(Script *script)
{
	g_bytes_unref(script->raw);
	g_free(script);
}

static void
conn_free(Conn *conn)
{
	close(conn->fd);
	g_byte_array_unref(conn->buffer);
	g_free(conn);
}

static gssize
find(const guint8 *data, gsize length, gsize from, const char *needle)
{
	gsize needle_length = strlen(needle);

	for (gsize i = from; i + needle_length <= length; i++) {
		if (memcmp(data + i, needle, needle_length) == 0)
			return (gssize)i;
	}
	return -1;
}

/*
 * Fields split at the first colon, nothing else: a name with a space or a
 * continuation line is recorded as it came, so a test sees what was forwarded.
 */
static MsWireRecord *
record_new_from_head(const char *head)
{
	MsWireRecord *record = g_new0(MsWireRecord, 1);
	g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
	g_auto(GStrv) request_line = g_strsplit(lines[0], " ", 3);

	record->head = g_strdup(head);
	record->method = g_strdup(request_line[0] != NULL ? request_line[0] : "");
	record->target =
		g_strdup(request_line[0] != NULL && request_line[1] != NULL ? request_line[1] : "");
	record->names = g_ptr_array_new_with_free_func(g_free);
	record->values = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
		const char *colon = strchr(lines[i], ':');

		if (colon == NULL) {
			g_ptr_array_add(record->names, g_strdup(lines[i]));
			g_ptr_array_add(record->values, g_strdup(""));
			continue;
		}
		g_ptr_array_add(record->names, g_strndup(lines[i], colon - lines[i]));
		g_ptr_array_add(record->values, g_strstrip(g_strdup(colon + 1)));
	}
	return record;
}

/*
 * Returns: the bytes of a whole chunked body from @from, 0 while incomplete,
 * -1 when it cannot be chunked at all
 */
static gssize
chunked_length(const guint8 *data, gsize length, gsize from, GByteArray *body)
{
	gsize at = from;

	for (;;) {
		gssize line_end = find(data, length, at, "\r\n");
		g_autofree char *line = NULL;
		char *end = NULL;
		guint64 size;

		if (line_end < 0)
			return 0;
		line = g_strndup((const char *)data + at, line_end - at);
		size = g_ascii_strtoull(line, &end, 16);
		if (end == line)
			return -1;
		at = line_end + 2;
		if (size == 0)
			break;
		if (length - at < size + 2)
			return 0;
		g_byte_array_append(body, data + at, size);
		at += size + 2;
	}
	/* trailers, up to the empty line */
	for (;;) {
		gssize line_end = find(data, length, at, "\r\n");

		gboolean empty = line_end == (gssize)at;

		if (line_end < 0)
			return 0;
		at = line_end + 2;
		if (empty)
			return (gssize)(at - from);
	}
}

static gboolean
record_is_chunked(const MsWireRecord *record)
{
	g_auto(GStrv) codings = ms_wire_record_get_all(record, "Transfer-Encoding");

	for (guint i = 0; codings[i] != NULL; i++) {
		if (strstr(codings[i], "chunked") != NULL)
			return TRUE;
	}
	return FALSE;
}

/*
 * Takes one whole request off @conn's buffer.
 *
 * Returns: (transfer full): the request, %NULL while it is incomplete; *@bad
 * is set when its framing cannot be read
 */
static MsWireRecord *
take_request(Conn *conn, gboolean *bad)
{
	const guint8 *data = conn->buffer->data;
	gsize length = conn->buffer->len;
	gssize head_end = find(data, length, 0, "\r\n\r\n");
	g_autofree char *head = NULL;
	MsWireRecord *record;
	g_autoptr(GByteArray) body = g_byte_array_new();
	gsize total;

	*bad = FALSE;
	if (head_end < 0) {
		*bad = length > MAX_REQUEST_BYTES;
		return NULL;
	}
	head = g_strndup((const char *)data, head_end + 4);
	record = record_new_from_head(head);
	total = head_end + 4;
	if (record_is_chunked(record)) {
		gssize body_length = chunked_length(data, length, total, body);

		*bad = body_length < 0;
		if (body_length <= 0) {
			record_free(record);
			return NULL;
		}
		total += body_length;
	} else if (ms_wire_record_get_one(record, "Content-Length") != NULL) {
		guint64 body_length = 0;

		if (!g_ascii_string_to_unsigned(ms_wire_record_get_one(record, "Content-Length"),
						10,
						0,
						MAX_REQUEST_BYTES,
						&body_length,
						NULL)) {
			*bad = TRUE;
			record_free(record);
			return NULL;
		}
		if (length - total < body_length) {
			record_free(record);
			return NULL;
		}
		g_byte_array_append(body, data + total, body_length);
		total += body_length;
	}
	record->connection = conn->index;
	record->raw = g_bytes_new(data, total);
	record->body = g_byte_array_free_to_bytes(g_steal_pointer(&body));
	g_byte_array_remove_range(conn->buffer, 0, total);
	return record;
}

static gboolean
send_all(int fd, const void *data, gsize length)
{
	gsize sent = 0;

	while (sent < length) {
		gssize n = send(fd, (const char *)data + sent, length - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		sent += n;
	}
	return TRUE;
}

static GBytes *
default_answer(MsWireRecorder *self, const MsWireRecord *record)
{
	g_autofree char *path = ms_wire_record_get_path(record);
	g_autoptr(GString) body = g_string_new("{\"ok\":true,\"path\":\"");
	GString *out = g_string_new("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");

	/* JSON string escapes, for what a test may have made the path hold */
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(body, '\\');
		if ((guchar)*p < 0x20)
			g_string_append_printf(body, "\\u%04x", (guchar)*p);
		else
			g_string_append_c(body, *p);
	}
	g_string_append(body, "\"}");
	for (guint i = 0; i < self->extra_names->len; i++)
		g_string_append_printf(out,
				       "%s: %s\r\n",
				       (const char *)self->extra_names->pdata[i],
				       (const char *)self->extra_values->pdata[i]);
	g_string_append_printf(out, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", body->len);
	if (g_strcmp0(record->method, "HEAD") != 0)
		g_string_append_len(out, body->str, body->len);
	return g_string_free_to_bytes(out);
}

/* Returns: %FALSE when @conn is to be closed */
static gboolean
conn_serve(MsWireRecorder *self, Conn *conn)
{
	for (;;) {
		gboolean bad = FALSE;
		MsWireRecord *record = take_request(conn, &bad);
		g_autoptr(GBytes) answer = NULL;
		gboolean close_after = FALSE;
		Script *script;

		if (record == NULL)
			return !bad;
		g_mutex_lock(&self->lock);
		script = g_queue_pop_head(&self->scripts);
		if (script != NULL) {
			answer = g_bytes_ref(script->raw);
			close_after = script->close_after;
			script_free(script);
		} else {
			answer = default_answer(self, record);
		}
		g_ptr_array_add(self->records, record);
		g_cond_broadcast(&self->cond);
		g_mutex_unlock(&self->lock);

		if (!send_all(conn->fd, g_bytes_get_data(answer, NULL), g_bytes_get_size(answer)) ||
		    close_after)
			return FALSE;
	}
}

static gpointer
run(gpointer user_data)
{
	MsWireRecorder *self = user_data;
	g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func((GDestroyNotify)conn_free);
	g_autoptr(GArray) fds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));

	for (;;) {
		struct pollfd *pfd;

		g_array_set_size(fds, 0);
		g_array_append_val(fds, ((struct pollfd){ .fd = self->wake[0], .events = POLLIN }));
		g_array_append_val(fds,
				   ((struct pollfd){ .fd = self->listen_fd, .events = POLLIN }));
		for (guint i = 0; i < conns->len; i++) {
			Conn *conn = conns->pdata[i];
			g_array_append_val(fds,
					   ((struct pollfd){ .fd = conn->fd, .events = POLLIN }));
		}
		if (poll((struct pollfd *)fds->data, fds->len, -1) < 0) {
			g_assert_cmpint(errno, ==, EINTR);
			continue;
		}
		pfd = (struct pollfd *)fds->data;
		if (pfd[0].revents != 0)
			break;
		/* connections first: an accepted one would shift the indexes */
		for (guint i = conns->len; i > 0; i--) {
			Conn *conn = conns->pdata[i - 1];
			guint8 chunk[16 * 1024];
			gssize n;

			if (pfd[i + 1].revents == 0)
				continue;
			n = recv(conn->fd, chunk, sizeof chunk, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0)
				g_byte_array_append(conn->buffer, chunk, n);
			if (n <= 0 || !conn_serve(self, conn))
				g_ptr_array_remove_index(conns, i - 1);
		}
		if (pfd[1].revents != 0) {
			int fd = accept(self->listen_fd, NULL, NULL);

			if (fd >= 0) {
				Conn *conn = g_new0(Conn, 1);

				conn->fd = fd;
				conn->buffer = g_byte_array_new();
				g_mutex_lock(&self->lock);
				conn->index = self->n_connections++;
				g_cond_broadcast(&self->cond);
				g_mutex_unlock(&self->lock);
				g_ptr_array_add(conns, conn);
			}
		}
	}
	return NULL;
}

MsWireRecorder *
ms_wire_recorder_new(void)
{
	MsWireRecorder *self = g_new0(MsWireRecorder, 1);
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	g_autoptr(GError) error = NULL;

	self->dir = ms_test_dir_new();
	self->socket_path = g_build_filename(self->dir, "recorder.sock", NULL);
	g_assert_cmpuint(strlen(self->socket_path), <, sizeof address.sun_path);
	strcpy(address.sun_path, self->socket_path);
	self->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(self->listen_fd, >=, 0);
	g_assert_cmpint(bind(self->listen_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
	g_assert_cmpint(listen(self->listen_fd, 64), ==, 0);
	g_unix_open_pipe(self->wake, FD_CLOEXEC, &error);
	g_assert_no_error(error);

	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
	self->records = g_ptr_array_new_with_free_func((GDestroyNotify)record_free);
	g_queue_init(&self->scripts);
	self->extra_names = g_ptr_array_new_with_free_func(g_free);
	self->extra_values = g_ptr_array_new_with_free_func(g_free);
	self->thread = g_thread_new("wire-recorder", run, self);
	return self;
}

void
ms_wire_recorder_free(MsWireRecorder *self)
{
	if (self == NULL)
		return;
	g_assert_cmpint(write(self->wake[1], "x", 1), ==, 1);
	g_thread_join(self->thread);
	close(self->wake[0]);
	close(self->wake[1]);
	close(self->listen_fd);
	ms_test_dir_remove(self->dir);
	g_free(self->dir);
	g_free(self->socket_path);
	g_ptr_array_unref(self->records);
	g_queue_clear_full(&self->scripts, (GDestroyNotify)script_free);
	g_ptr_array_unref(self->extra_names);
	g_ptr_array_unref(self->extra_values);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->cond);
	g_free(self);
}

const char *
ms_wire_recorder_get_socket_path(MsWireRecorder *self)
{
	return self->socket_path;
}

/**
 * ms_wire_recorder_add_header:
 *
 * Adds a field to every default answer from now on, e.g. Cache-Control.
 */
void
ms_wire_recorder_add_header(MsWireRecorder *self, const char *name, const char *value)
{
	g_mutex_lock(&self->lock);
	g_ptr_array_add(self->extra_names, g_strdup(name));
	g_ptr_array_add(self->extra_values, g_strdup(value));
	g_mutex_unlock(&self->lock);
}

/**
 * ms_wire_recorder_script_next_bytes:
 * @raw: the whole answer to the next request, written as it is
 * @close_after: close the connection once @raw is written
 *
 * Scripts are used in order, one per request, whatever its connection.
 */
void
ms_wire_recorder_script_next_bytes(MsWireRecorder *self, GBytes *raw, gboolean close_after)
{
	Script *script = g_new0(Script, 1);

	script->raw = g_bytes_ref(raw);
	script->close_after = close_after;
	g_mutex_lock(&self->lock);
	g_queue_push_tail(&self->scripts, script);
	g_mutex_unlock(&self->lock);
}

void
ms_wire_recorder_script_next(MsWireRecorder *self, const char *raw, gboolean close_after)
{
	g_autoptr(GBytes) bytes = g_bytes_new(raw, strlen(raw));

	ms_wire_recorder_script_next_bytes(self, bytes, close_after);
}

/**
 * ms_wire_recorder_get_requests:
 *
 * Returns: (transfer container) (element-type MsWireRecord): the requests so
 * far in the order they came; the records live as long as @self
 */
GPtrArray *
ms_wire_recorder_get_requests(MsWireRecorder *self)
{
	GPtrArray *requests;

	/* not g_ptr_array_copy(): the copy would free the records too */
	g_mutex_lock(&self->lock);
	requests = g_ptr_array_sized_new(self->records->len);
	for (guint i = 0; i < self->records->len; i++)
		g_ptr_array_add(requests, self->records->pdata[i]);
	g_mutex_unlock(&self->lock);
	return requests;
}

/**
 * ms_wire_recorder_wait_requests:
 *
 * Returns: %TRUE once at least @n requests were recorded, %FALSE when
 * @timeout_ms passed first
 */
gboolean
ms_wire_recorder_wait_requests(MsWireRecorder *self, guint n, guint timeout_ms)
{
	gint64 end_time = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	gboolean reached;

	g_mutex_lock(&self->lock);
	while (self->records->len < n && g_cond_wait_until(&self->cond, &self->lock, end_time))
		;
	reached = self->records->len >= n;
	g_mutex_unlock(&self->lock);
	return reached;
}

guint
ms_wire_recorder_get_n_connections(MsWireRecorder *self)
{
	guint n;

	g_mutex_lock(&self->lock);
	n = self->n_connections;
	g_mutex_unlock(&self->lock);
	return n;
}

/**
 * ms_wire_record_get_all:
 *
 * Returns: (transfer full): the values of every field named @name (compared
 * without case), in order, each line on its own
 */
GStrv
ms_wire_record_get_all(const MsWireRecord *self, const char *name)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; i < self->names->len; i++) {
		if (g_ascii_strcasecmp(self->names->pdata[i], name) == 0)
			g_strv_builder_add(builder, self->values->pdata[i]);
	}
	return g_strv_builder_end(builder);
}

/* Returns: (nullable): the first value of @name */
const char *
ms_wire_record_get_one(const MsWireRecord *self, const char *name)
{
	for (guint i = 0; i < self->names->len; i++) {
		if (g_ascii_strcasecmp(self->names->pdata[i], name) == 0)
			return self->values->pdata[i];
	}
	return NULL;
}

/* Returns: (transfer full): the target without its query */
char *
ms_wire_record_get_path(const MsWireRecord *self)
{
	const char *query = strchr(self->target, '?');

	return query != NULL ? g_strndup(self->target, query - self->target)
			     : g_strdup(self->target);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-test-utils.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/ms-log.h"

/*
 * What every microsoup test shares (after libsoup's tests/test-utils.c): the GIO
 * environment, a server on a real unix socket, an async client driven by the main
 * loop (a sync call to a server on the same context would deadlock), and a
 * helper that starts a built binary with LISTEN_FDS/LISTEN_PID as systemd does.
 */

/**
 * ms_test_init:
 *
 * The one start of every test binary: sets the GIO environment before
 * g_test_init(), as GLib's own tests do, then installs the services' log writer,
 * so a test sees the entries production writes and g_test_init()'s fatal
 * warnings and criticals apply to them too.
 */
void
ms_test_init(int *argc, char ***argv)
{
	g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
	g_setenv("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_setenv("GIO_USE_VFS", "local", TRUE);
	g_test_init(argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	ms_log_init("microsoup-test");
}

/**
 * ms_test_build_path:
 *
 * Returns: a path under the build root (MICROSOUP_BUILD_ROOT, set by meson)
 */
char *
ms_test_build_path(const char *first, ...)
{
	const char *root = g_getenv("MICROSOUP_BUILD_ROOT");
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	va_list args;

	g_assert_nonnull(root);
	g_ptr_array_add(parts, (gpointer)root);
	va_start(args, first);
	for (const char *p = first; p != NULL; p = va_arg(args, const char *))
		g_ptr_array_add(parts, (gpointer)p);
	va_end(args);
	g_ptr_array_add(parts, NULL);
	return g_build_filenamev((char **)parts->pdata);
}

GSocket *
ms_test_bind_unix(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	g_autoptr(GSocket) socket =
		g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);

	g_assert_no_error(error);
	g_socket_bind(socket, address, TRUE, &error);
	g_assert_no_error(error);
	g_socket_listen(socket, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&socket);
}

/**
 * ms_test_dir_new:
 *
 * Returns: (transfer full): a new private directory, for ms_test_dir_remove()
 */
char *
ms_test_dir_new(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("microsoup-test-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

/**
 * ms_test_dir_remove:
 *
 * Removes the files @dir holds (sockets, databases, logs), then @dir itself.
 */
void
ms_test_dir_remove(const char *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *name;

	while (listing != NULL && (name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

MsTestServer *
ms_test_server_new(void)
{
	MsTestServer *self = g_new0(MsTestServer, 1);
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) error = NULL;

	self->dir = ms_test_dir_new();
	self->socket_path = g_build_filename(self->dir, "server.sock", NULL);
	self->server = soup_server_new("server-header", "microsoup-test", NULL);
	socket = ms_test_bind_unix(self->socket_path);
	soup_server_listen_socket(self->server, socket, 0, &error);
	g_assert_no_error(error);
	return self;
}

void
ms_test_server_free(MsTestServer *self)
{
	if (self == NULL)
		return;
	soup_server_disconnect(self->server);
	g_object_unref(self->server);
	g_unlink(self->socket_path);
	g_rmdir(self->dir);
	g_free(self->socket_path);
	g_free(self->dir);
	g_free(self);
}

/**
 * ms_test_server_listen_tcp:
 *
 * Makes @server listen on 127.0.0.1 at a port the kernel picks, with a socket of
 * our own: soup_server_listen_local() leaks an address in libsoup 3.2.
 *
 * Returns: the port
 */
guint16
ms_test_server_listen_tcp(SoupServer *server)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) local = NULL;
	g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4,
						 G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_TCP,
						 &error);

	g_assert_no_error(error);
	g_socket_bind(socket, any_port, TRUE, &error);
	g_assert_no_error(error);
	g_socket_listen(socket, &error);
	g_assert_no_error(error);
	soup_server_listen_socket(server, socket, 0, &error);
	g_assert_no_error(error);
	local = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
}

static SoupSession *
session_new_for(GSocketAddress *address)
{
	return soup_session_new_with_options("remote-connectable", address, "timeout", 10, NULL);
}

/**
 * ms_test_session_new:
 *
 * Returns: (transfer full): a session whose every connection goes to @socket_path,
 * whatever host the URI names
 */
SoupSession *
ms_test_session_new(const char *socket_path)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);

	return session_new_for(address);
}

/**
 * ms_test_session_new_tcp:
 *
 * Returns: (transfer full): a session whose every connection goes to 127.0.0.1:@port,
 * so ms_test_request()'s http://localhost/... reaches a server of
 * ms_test_server_listen_tcp()
 */
SoupSession *
ms_test_session_new_tcp(guint16 port)
{
	g_autoptr(GSocketAddress) address =
		g_inet_socket_address_new_from_string("127.0.0.1", port);

	return session_new_for(address);
}

/**
 * ms_test_log_field:
 *
 * For a log capture (ms_log_set_capture()): the value of @key among an entry's
 * @fields.
 *
 * Returns: (transfer none) (nullable): the first @key field's value
 */
const char *
ms_test_log_field(const GLogField *fields, gsize n_fields, const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, key))
			return fields[i].value;
	}
	return NULL;
}

/**
 * ms_test_connect_raw:
 * @timeout_s: how long a read or write may block before it fails the test; 0
 *   for no bound
 *
 * Returns: (transfer full): a new connection to the unix socket @socket_path, for
 *   bytes written and read as they are
 */
GSocketConnection *
ms_test_connect_raw(const char *socket_path, guint timeout_s)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection =
		g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);

	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(connection), timeout_s);
	return connection;
}

/**
 * ms_test_write_raw:
 * @length: of @bytes, or -1 when they are a string
 */
void
ms_test_write_raw(GSocketConnection *connection, const char *bytes, gssize length)
{
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
				  bytes,
				  length < 0 ? strlen(bytes) : (gsize)length,
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
}

/**
 * ms_test_read_raw:
 * @until: (nullable): stop once this is in what was read; %NULL reads to the end
 *
 * Returns: (transfer full): what was read, "" when the peer closed at once
 */
char *
ms_test_read_raw(GSocketConnection *connection, const char *until)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(connection));
	g_autoptr(GString) read = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	while (until == NULL || strstr(read->str, until) == NULL) {
		char buffer[4096];
		gssize n = g_input_stream_read(in, buffer, sizeof buffer, NULL, &error);

		g_assert_no_error(error);
		if (n == 0)
			break;
		g_string_append_len(read, buffer, n);
	}
	return g_string_free(g_steal_pointer(&read), FALSE);
}

/* one raw exchange, run in a thread of its own */
typedef struct {
	const char *socket_path;
	const char *request;
	char *answer;
	gint done;
} RawExchange;

static gpointer
raw_exchange_run(gpointer data)
{
	RawExchange *exchange = data;
	g_autoptr(GSocketConnection) connection = ms_test_connect_raw(exchange->socket_path, 0);

	ms_test_write_raw(connection, exchange->request, -1);
	exchange->answer = ms_test_read_raw(connection, NULL);
	g_atomic_int_set(&exchange->done, TRUE);
	g_main_context_wakeup(NULL);
	return NULL;
}

/**
 * ms_test_exchange_raw:
 * @request: the bytes to send as they are, ending in a request that closes
 *
 * The exchange runs in a thread while this one iterates the default main
 * context, so the server may be in this process.
 *
 * Returns: (transfer full): all the server at @socket_path answers until it closes
 */
char *
ms_test_exchange_raw(const char *socket_path, const char *request)
{
	RawExchange exchange = { socket_path, request, NULL, FALSE };
	GThread *thread = g_thread_new("raw-exchange", raw_exchange_run, &exchange);

	while (!g_atomic_int_get(&exchange.done))
		g_main_context_iteration(NULL, TRUE);
	g_thread_join(thread);
	return exchange.answer;
}

/**
 * ms_test_raw_header:
 * @answer: a response as ms_test_exchange_raw() returns it
 * @name: a header name, spelled as the server writes it
 *
 * Returns: (transfer full) (nullable): the value of @answer's first @name header
 */
char *
ms_test_raw_header(const char *answer, const char *name)
{
	g_autofree char *start = g_strdup_printf("\r\n%s: ", name);
	const char *value = strstr(answer, start);
	const char *end;

	if (value == NULL)
		return NULL;
	value += strlen(start);
	end = strstr(value, "\r\n");
	return end != NULL ? g_strndup(value, (gsize)(end - value)) : NULL;
}

typedef struct {
	MsTestResponse *response;
	gboolean done;
} RequestCall;

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RequestCall *call = user_data;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), result);
	g_autoptr(GError) error = NULL;

	call->response->body =
		soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
	g_assert_no_error(error);
	call->response->status = soup_message_get_status(msg);
	call->response->headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	call->done = TRUE;
	g_main_context_wakeup(NULL);
}

/**
 * ms_test_request_typed:
 * @headers: (nullable): NULL-terminated name, value pairs
 * @content_type: (nullable): of @body; %NULL sends a body without a Content-Type
 * @body: (nullable): the request body
 *
 * Sends a request and iterates the default main context until the answer is in,
 * so a server on the same context keeps serving meanwhile.
 */
MsTestResponse *
ms_test_request_typed(SoupSession *session,
		      const char *method,
		      const char *path,
		      const char *const *headers,
		      const char *content_type,
		      const char *body)
{
	g_autofree char *uri = g_strconcat("http://localhost", path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	RequestCall call = { g_new0(MsTestResponse, 1), FALSE };
	const char *type;

	g_assert_nonnull(msg);
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, content_type, bytes);
	}
	for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
		soup_message_headers_replace(soup_message_get_request_headers(msg),
					     headers[i],
					     headers[i + 1]);
	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &call);
	while (!call.done)
		g_main_context_iteration(NULL, TRUE);

	type = soup_message_headers_get_content_type(call.response->headers, NULL);
	if (type != NULL && g_bytes_get_size(call.response->body) > 0 &&
	    (g_str_equal(type, "application/json") ||
	     g_str_equal(type, "application/problem+json"))) {
		g_autoptr(JsonParser) parser = json_parser_new_immutable();
		g_autoptr(GError) error = NULL;
		gsize size = 0;
		const char *data = g_bytes_get_data(call.response->body, &size);

		json_parser_load_from_data(parser, data != NULL ? data : "", (gssize)size, &error);
		g_assert_no_error(error);
		call.response->json = json_node_ref(json_parser_get_root(parser));
	}
	return call.response;
}

/**
 * ms_test_request:
 * @headers: (nullable): NULL-terminated name, value pairs
 * @body: (nullable): a JSON body
 *
 * ms_test_request_typed() for the common case: no body, or a JSON one.
 */
MsTestResponse *
ms_test_request(SoupSession *session,
		const char *method,
		const char *path,
		const char *const *headers,
		const char *body)
{
	return ms_test_request_typed(session, method, path, headers, "application/json", body);
}

void
ms_test_response_free(MsTestResponse *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->headers, soup_message_headers_unref);
	g_clear_pointer(&self->body, g_bytes_unref);
	g_clear_pointer(&self->json, json_node_unref);
	g_free(self);
}

const char *
ms_test_response_get_string(MsTestResponse *self, const char *member)
{
	g_assert_nonnull(self->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(self->json));
	return json_object_get_string_member_with_default(json_node_get_object(self->json),
							  member,
							  NULL);
}

gint64
ms_test_response_get_int(MsTestResponse *self, const char *member)
{
	g_assert_nonnull(self->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(self->json));
	return json_object_get_int_member_with_default(json_node_get_object(self->json),
						       member,
						       -1);
}

const char *
ms_test_response_get_header(MsTestResponse *self, const char *name)
{
	return soup_message_headers_get_one(self->headers, name);
}

/* Returns: (transfer none): the JSON body, which must be an object */
JsonObject *
ms_test_response_get_object(MsTestResponse *self)
{
	g_assert_nonnull(self->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(self->json));
	return json_node_get_object(self->json);
}

/* Returns: (transfer full): the body as text, for exact comparisons */
char *
ms_test_response_get_text(MsTestResponse *self)
{
	return g_strndup(g_bytes_get_data(self->body, NULL), g_bytes_get_size(self->body));
}

/**
 * ms_test_assert_problem:
 * @type: the short problem type, e.g. "not_found"
 *
 * Asserts that @response is a problem+json document of @status and @type.
 */
void
ms_test_assert_problem(MsTestResponse *response, guint status, const char *type)
{
	g_autofree char *urn = g_strconcat("urn:microsoup:problem:", type, NULL);
	const char *id = ms_test_response_get_header(response, "X-Request-ID");

	g_assert_cmpuint(response->status, ==, status);
	g_assert_cmpstr(soup_message_headers_get_content_type(response->headers, NULL),
			==,
			"application/problem+json");
	g_assert_cmpstr(ms_test_response_get_string(response, "type"), ==, urn);
	g_assert_cmpint(ms_test_response_get_int(response, "status"), ==, status);
	g_assert_nonnull(ms_test_response_get_string(response, "title"));
	/* a server that gives requests an id puts the same one in its problems */
	if (id != NULL)
		g_assert_cmpstr(ms_test_response_get_string(response, "request_id"), ==, id);
}

/*
 * A child's stderr through a pipe, read by a thread into memory: a test can
 * wait for a line as soon as it is written, and the child never blocks on a
 * full pipe whatever the test is doing meanwhile.
 */
struct _MsTestLogReader {
	GMutex lock;
	GCond changed;
	GString *text;
	gboolean ended; /* the child's end of the pipe is closed */
	int fd;
	GThread *thread;
};

static gpointer
log_reader_run(gpointer user_data)
{
	MsTestLogReader *self = user_data;
	char buffer[4096];

	for (;;) {
		gssize n = read(self->fd, buffer, sizeof buffer);

		if (n < 0 && errno == EINTR)
			continue;
		g_mutex_lock(&self->lock);
		if (n > 0)
			g_string_append_len(self->text, buffer, n);
		else
			self->ended = TRUE;
		g_cond_broadcast(&self->changed);
		g_mutex_unlock(&self->lock);
		/* a test waiting in the main loop looks again */
		g_main_context_wakeup(NULL);
		if (n <= 0)
			return NULL;
	}
}

/* Returns: (transfer full): the write end, for the child's stderr */
static int
log_reader_start(MsTestProcess *process)
{
	MsTestLogReader *self = g_new0(MsTestLogReader, 1);
	g_autoptr(GError) error = NULL;
	int fds[2];

	g_unix_open_pipe(fds, FD_CLOEXEC, &error);
	g_assert_no_error(error);
	g_mutex_init(&self->lock);
	g_cond_init(&self->changed);
	self->text = g_string_new(NULL);
	self->fd = fds[0];
	self->thread = g_thread_new("ms-test-stderr", log_reader_run, self);
	process->stderr_reader = self;
	return fds[1];
}

/* after the child is gone: the rest of what it wrote, up to the end */
static void
log_reader_free(MsTestLogReader *self)
{
	if (self == NULL)
		return;
	g_thread_join(self->thread);
	close(self->fd);
	g_string_free(self->text, TRUE);
	g_cond_clear(&self->changed);
	g_mutex_clear(&self->lock);
	g_free(self);
}

/**
 * ms_test_process_spawn_full:
 * @binary_name: e.g. "microsoup-hello", found in the build tree's src/cmd
 * @socket_path: (nullable): where to bind the socket passed as fd 3, by default
 *   in the process's private directory
 * @extra_args: (nullable): arguments after the binary
 * @env: (nullable): NAME=VALUE pairs added to the environment, e.g.
 *   STATE_DIRECTORY as systemd sets it
 *
 * Starts the binary as systemd would after socket activation; its stderr is read
 * with ms_test_process_get_log() and waited for with ms_test_process_wait_log().
 */
MsTestProcess *
ms_test_process_spawn_full(const char *binary_name,
			   const char *socket_path,
			   const char *const *extra_args,
			   const char *const *env)
{
	MsTestProcess *self = g_new0(MsTestProcess, 1);
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) error = NULL;

	self->dir = ms_test_dir_new();
	self->socket_path = g_strdup(socket_path != NULL ? socket_path : "");
	if (socket_path == NULL) {
		g_free(self->socket_path);
		self->socket_path = g_build_filename(self->dir, "service.sock", NULL);
	}
	self->log_path = g_build_filename(self->dir, "stderr.log", NULL);
	socket = ms_test_bind_unix(self->socket_path);

	/*
	 * LISTEN_PID must name the process that runs the service, known only after
	 * the fork: a shell sets it to its own pid and execs the binary in its place.
	 */
	g_ptr_array_add(argv, g_strdup("/bin/sh"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup("LISTEN_PID=$$ exec \"$0\" \"$@\""));
	g_ptr_array_add(argv, ms_test_build_path("src", "cmd", binary_name, NULL));
	for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(extra_args[i]));
	g_ptr_array_add(argv, NULL);

	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDNAMES", "test", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env[i], "=", 2);

		g_assert_nonnull(pair[1]);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1], TRUE);
	}
	g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(socket)), 3);
	g_subprocess_launcher_take_stderr_fd(launcher, log_reader_start(self));
	self->process =
		g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	return self;
}

/**
 * ms_test_process_spawn_at:
 * @socket_path: e.g. a path that several processes of one test share, or the
 *   path a restarted service is found at again
 */
MsTestProcess *
ms_test_process_spawn_at(const char *binary_name,
			 const char *socket_path,
			 const char *const *extra_args)
{
	return ms_test_process_spawn_full(binary_name, socket_path, extra_args, NULL);
}

MsTestProcess *
ms_test_process_spawn(const char *binary_name, const char *const *extra_args)
{
	return ms_test_process_spawn_at(binary_name, NULL, extra_args);
}

typedef struct {
	gboolean done;
	gboolean timed_out;
} WaitCall;

static void
on_waited(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WaitCall *call = user_data;

	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	call->done = TRUE;
}

static gboolean
on_wait_timeout(gpointer user_data)
{
	WaitCall *call = user_data;

	call->timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * ms_test_process_wait:
 *
 * Returns: the exit status, 128 + the signal that ended it (as a shell says), or
 * -1 when it did not end within @timeout_ms (then it is killed)
 */
int
ms_test_process_wait(MsTestProcess *self, guint timeout_ms)
{
	WaitCall call = { FALSE, FALSE };
	guint timer = g_timeout_add(timeout_ms, on_wait_timeout, &call);

	g_subprocess_wait_async(self->process, NULL, on_waited, &call);
	while (!call.done && !call.timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!call.timed_out)
		g_source_remove(timer);
	if (!call.done) {
		g_subprocess_force_exit(self->process);
		while (!call.done)
			g_main_context_iteration(NULL, TRUE);
		return -1;
	}
	if (g_subprocess_get_if_signaled(self->process))
		return 128 + g_subprocess_get_term_sig(self->process);
	return g_subprocess_get_exit_status(self->process);
}

/**
 * ms_test_process_get_log:
 *
 * Returns: (transfer full): what the process wrote to stderr so far; all of it
 *   once ms_test_process_wait() has seen it end
 */
char *
ms_test_process_get_log(MsTestProcess *self)
{
	MsTestLogReader *reader = self->stderr_reader;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char *text = NULL;

	if (reader == NULL) {
		if (!g_file_get_contents(self->log_path, &text, NULL, NULL))
			return g_strdup("");
		return text;
	}
	g_mutex_lock(&reader->lock);
	/*
	 * a child that was reaped has closed its end: the rest is on its way
	 * (unless something it started holds its stderr: then what came so far)
	 */
	while (!reader->ended && g_subprocess_get_identifier(self->process) == NULL &&
	       g_cond_wait_until(&reader->changed, &reader->lock, deadline))
		;
	text = g_strndup(reader->text->str, reader->text->len);
	g_mutex_unlock(&reader->lock);
	return text;
}

typedef struct {
	MsTestLogReader *reader;
	const char *needle;
	char *line;
	gboolean ended;
	gboolean expired;
} LogWait;

static gboolean
log_has_line(gpointer user_data)
{
	LogWait *wait = user_data;
	const char *found;

	g_mutex_lock(&wait->reader->lock);
	found = strstr(wait->reader->text->str, wait->needle);
	if (found != NULL) {
		const char *start = found;
		const char *end = strchr(found, '\n');

		while (start > wait->reader->text->str && start[-1] != '\n')
			start--;
		/* a line still being written is not there yet */
		if (end != NULL)
			wait->line = g_strndup(start, end - start);
	}
	wait->ended = wait->reader->ended;
	g_mutex_unlock(&wait->reader->lock);
	return wait->line != NULL || wait->ended;
}

static gboolean
on_log_deadline(gpointer user_data)
{
	LogWait *wait = user_data;

	wait->expired = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * ms_test_process_wait_log_contains:
 * @timeout_ms: a deadline, never an expected duration
 *
 * Polls the process's log until it holds @text, for a process whose stderr
 * goes to a file of the test's own: the child writes it, nothing here is told when.
 */
void
ms_test_process_wait_log_contains(MsTestProcess *self, const char *text, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	g_autofree char *log = ms_test_process_get_log(self);

	while (strstr(log, text) == NULL && g_get_monotonic_time() < deadline) {
		g_usleep(20 * G_TIME_SPAN_MILLISECOND);
		g_free(log);
		log = ms_test_process_get_log(self);
	}
	if (strstr(log, text) == NULL)
		g_test_message("log:\n%s", log);
	g_assert_nonnull(strstr(log, text));
}

/**
 * ms_test_process_wait_log:
 * @needle: text of the line, e.g. the start of a message
 *
 * Iterates the main context (a server of the test keeps serving) until the
 * process has written a whole line holding @needle to stderr; fails the test,
 * showing what it wrote, when it ends without or after @timeout_ms.
 *
 * Returns: (transfer full): the first such line, without its newline
 */
char *
ms_test_process_wait_log(MsTestProcess *self, const char *needle, guint timeout_ms)
{
	LogWait wait = { self->stderr_reader, needle, NULL, FALSE, FALSE };
	guint timer;

	g_assert_nonnull(self->stderr_reader);
	timer = g_timeout_add(timeout_ms, on_log_deadline, &wait);
	/* the reader thread wakes the main context up at every write */
	while (!log_has_line(&wait) && !wait.expired)
		g_main_context_iteration(NULL, TRUE);
	if (!wait.expired)
		g_source_remove(timer);
	if (wait.line == NULL) {
		g_autofree char *log = ms_test_process_get_log(self);

		g_printerr("%s", log);
		g_error("the process %s without writing \"%s\"",
			wait.ended ? "ended" : "went on",
			needle);
	}
	return wait.line;
}

void
ms_test_process_free(MsTestProcess *self)
{
	if (self == NULL)
		return;
	if (self->process != NULL && g_subprocess_get_identifier(self->process) != NULL) {
		/*
		 * SIGTERM first: a child that exits through its drain writes its coverage
		 * counters (tools/coverage.sh), one killed by SIGKILL does not. The grace
		 * outlasts the services' 10 s drain; SIGKILL only for a child that hangs.
		 */
		gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;

		g_subprocess_send_signal(self->process, SIGTERM);
		while (g_subprocess_get_identifier(self->process) != NULL &&
		       g_get_monotonic_time() < deadline)
			g_usleep(10000);
		g_subprocess_force_exit(self->process);
		g_subprocess_wait(self->process, NULL, NULL);
	}
	g_clear_pointer(&self->stderr_reader, log_reader_free);
	g_clear_object(&self->process);
	g_unlink(self->socket_path);
	g_unlink(self->log_path);
	g_rmdir(self->dir);
	g_free(self->socket_path);
	g_free(self->log_path);
	g_free(self->dir);
	g_free(self);
}

static gboolean
on_deadline(gpointer user_data)
{
	gboolean *expired = user_data;

	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * ms_test_wait_until:
 *
 * Iterates the main loop until @condition holds; fails the test after @timeout_ms.
 */
void
ms_test_wait_until(gboolean (*condition)(gpointer), gpointer data, guint timeout_ms)
{
	gboolean expired = FALSE;
	guint timer = g_timeout_add(timeout_ms, on_deadline, &expired);

	while (!condition(data) && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(timer);
	g_assert_false(expired);
}

/**
 * ms_test_process_stop_cleanly:
 *
 * SIGTERM, then requires exit status 0 (under ASan also where a child's own
 * memory errors and leaks show); the child's log is printed when it is not.
 */
void
ms_test_process_stop_cleanly(MsTestProcess *self)
{
	int status;

	g_subprocess_send_signal(self->process, SIGTERM);
	status = ms_test_process_wait(self, 20000);
	if (status != 0) {
		g_autofree char *log = ms_test_process_get_log(self);
		g_printerr("%s", log);
	}
	g_assert_cmpint(status, ==, 0);
}

/**
 * ms_test_gateway_spawn:
 * @dir: where its gateway.conf is written
 * @config: the gateway.conf text
 * @env: (nullable): extra NAME=VALUE settings, e.g. CREDENTIALS_DIRECTORY
 *
 * The built microsoup-gateway with @config, handed its socket as systemd
 * does, resident (no idle exit) for the wire tests.
 */
MsTestProcess *
ms_test_gateway_spawn(const char *dir, const char *config, const char *const *env)
{
	g_autofree char *path = g_build_filename(dir, "gateway.conf", NULL);
	g_autofree char *config_option = g_strconcat("--config=", path, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, config, -1, &error);
	g_assert_no_error(error);
	return ms_test_process_spawn_full(
		"microsoup-gateway",
		NULL,
		(const char *const[]){ config_option, "--idle-timeout=0", NULL },
		env);
}

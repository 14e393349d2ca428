/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"

/*
 * Connection limits on the wire: the built microsoup-gateway, handed a TCP
 * socket on 127.0.0.1 as systemd does (so every client here is one address),
 * in front of the built hello, talked to with raw bytes. Nothing here waits
 * for time to pass: each case waits for answers, closes and log lines.
 */

/* every read waits at most this long: a server that stays silent fails the test */
#define CLIENT_TIMEOUT_S 10
/* more than the gateway may accept under a file limit of EMFILE_NOFILE */
#define EMFILE_NOFILE  64
#define EMFILE_CLIENTS 100
/* the round trips that give the gateway's loops turns to run into EMFILE */
#define EMFILE_TURNS 10
/* at most this many more, each a round trip through the loop that accepts */
#define EMFILE_MAX_EXTRA_TURNS 500
/* one accept() warning a second at most: a few at most while the case runs */
#define EMFILE_MAX_WARNINGS 3

typedef struct {
	const char *gateway_keys; /* lines for [gateway] */
	guint nofile;             /* RLIMIT_NOFILE for the gateway, 0 to inherit */
} Case;

typedef struct {
	char *dir;
	MsTestProcess *hello;
	MsTestProcess *gateway;
	guint16 port;
} Fixture;

typedef struct {
	GSocket *socket;
	GByteArray *buffer; /* read and not consumed yet */
} Client;

/* --- the gateway on a TCP socket ------------------------------------------------------ */

static GSocket *
bind_tcp(guint16 *port)
{
	g_autoptr(GSocket) socket =
		g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(socket);
	g_socket_bind(socket, address, TRUE, &error);
	g_assert_no_error(error);
	/* connections the gateway leaves waiting stay in the backlog, not in connect() */
	g_socket_set_listen_backlog(socket, 1024);
	g_socket_listen(socket, &error);
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return g_steal_pointer(&socket);
}

/* like ms_test_process_spawn(), with a TCP socket as fd 3 and maybe a lower fd limit */
static MsTestProcess *
spawn_gateway(Fixture *fx, const char *config_path, guint nofile)
{
	MsTestProcess *self = g_new0(MsTestProcess, 1);
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GSocket) socket = bind_tcp(&fx->port);
	g_autofree char *script = NULL;
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-gateway", NULL);
	g_autofree char *config_option = g_strconcat("--config=", config_path, NULL);
	g_autoptr(GError) error = NULL;

	self->dir = ms_test_dir_new();
	/* nothing is bound there: the socket is TCP */
	self->socket_path = g_build_filename(self->dir, "none.sock", NULL);
	self->log_path = g_build_filename(self->dir, "stderr.log", NULL);
	/* LISTEN_PID must be the pid of the service: the shell's, which execs it */
	if (nofile > 0)
		script =
			g_strdup_printf("ulimit -n %u && LISTEN_PID=$$ exec \"$0\" \"$@\"", nofile);
	else
		script = g_strdup("LISTEN_PID=$$ exec \"$0\" \"$@\"");
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDNAMES", "test", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(socket)), 3);
	g_subprocess_launcher_set_stderr_file_path(launcher, self->log_path);
	self->process = g_subprocess_launcher_spawn(launcher,
						    &error,
						    "/bin/sh",
						    "-c",
						    script,
						    binary,
						    config_option,
						    "--idle-timeout=0",
						    NULL);
	g_assert_no_error(error);
	return self;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	const Case *test_case = data;
	g_autofree char *config_path = NULL;
	g_autofree char *config = NULL;
	g_autoptr(GError) error = NULL;

	fx->dir = ms_test_dir_new();
	config_path = g_build_filename(fx->dir, "gateway.conf", NULL);
	fx->hello = ms_test_process_spawn("microsoup-hello",
					  (const char *const[]){ "--idle-timeout=0", NULL });
	config = g_strdup_printf("[gateway]\nworkers = 2\n%s\n\n"
				 "[route hello]\nprefix = /api/hello\nupstream = unix:%s\n"
				 "methods = GET, HEAD\n",
				 test_case->gateway_keys,
				 fx->hello->socket_path);
	g_file_set_contents(config_path, config, -1, &error);
	g_assert_no_error(error);
	fx->gateway = spawn_gateway(fx, config_path, test_case->nofile);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	/* whatever a case did, the gateway is still up and stops cleanly */
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->hello, ms_test_process_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

/* --- a raw client over TCP -------------------------------------------------------------- */

static Client *
client_new(Fixture *fx)
{
	Client *self = g_new0(Client, 1);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, fx->port);
	g_autoptr(GError) error = NULL;

	self->socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(self->socket, CLIENT_TIMEOUT_S);
	/* succeeds once the kernel has the connection, accepted by the gateway or not */
	g_socket_connect(self->socket, address, NULL, &error);
	g_assert_no_error(error);
	self->buffer = g_byte_array_new();
	return self;
}

static void
client_free(Client *self)
{
	if (self == NULL)
		return;
	g_socket_close(self->socket, NULL);
	g_object_unref(self->socket);
	g_byte_array_unref(self->buffer);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Client, client_free)

static void
client_send(Client *self, const char *text)
{
	g_autoptr(GError) error = NULL;
	gsize sent = 0;

	while (sent < strlen(text)) {
		gssize n =
			g_socket_send(self->socket, text + sent, strlen(text) - sent, NULL, &error);
		g_assert_no_error(error);
		sent += (gsize)n;
	}
}

/* Returns: the bytes read, 0 at the end of the stream, -1 when the server reset it */
static gssize
client_read_more(Client *self)
{
	char chunk[16384];
	g_autoptr(GError) error = NULL;
	gssize n = g_socket_receive(self->socket, chunk, sizeof chunk, NULL, &error);

	if (n < 0) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
			return -1;
		g_assert_no_error(error);
	}
	g_byte_array_append(self->buffer, (const guint8 *)chunk, (guint)n);
	return n;
}

static gssize
client_find(Client *self, const char *needle)
{
	gsize length = strlen(needle);

	for (gsize i = 0; i + length <= self->buffer->len; i++) {
		if (memcmp(self->buffer->data + i, needle, length) == 0)
			return (gssize)i;
	}
	return -1;
}

/* one answer framed by Content-Length, the only framing the gateway's own answers use */
static MsWireResponse *
client_read_response(Client *self)
{
	g_autoptr(MsWireResponse) response = g_new0(MsWireResponse, 1);
	gssize head_end;
	gsize line_end;
	guint64 length = 0;
	const char *type;

	while ((head_end = client_find(self, "\r\n\r\n")) < 0)
		g_assert_cmpint(client_read_more(self), >, 0);
	head_end += 4;
	line_end = (gsize)client_find(self, "\r\n");
	response->status_line = g_strndup((const char *)self->buffer->data, line_end);
	g_test_message("answer: %s", response->status_line);
	response->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	g_assert_true(soup_headers_parse_response((const char *)self->buffer->data,
						  (int)head_end,
						  response->headers,
						  NULL,
						  &response->status,
						  NULL));
	g_byte_array_remove_range(self->buffer, 0, (guint)head_end);
	g_assert_true(g_ascii_string_to_unsigned(
		soup_message_headers_get_one(response->headers, "Content-Length"),
		10,
		0,
		G_MAXUINT32,
		&length,
		NULL));
	while (self->buffer->len < length)
		g_assert_cmpint(client_read_more(self), >, 0);
	response->body = g_bytes_new(self->buffer->data, (gsize)length);
	g_byte_array_remove_range(self->buffer, 0, (guint)length);
	type = soup_message_headers_get_content_type(response->headers, NULL);
	if (length > 0 && (g_strcmp0(type, "application/json") == 0 ||
			   g_strcmp0(type, "application/problem+json") == 0)) {
		g_autoptr(JsonParser) parser = json_parser_new_immutable();
		g_autoptr(GError) error = NULL;

		json_parser_load_from_data(parser,
					   g_bytes_get_data(response->body, NULL),
					   (gssize)length,
					   &error);
		g_assert_no_error(error);
		response->json = json_node_ref(json_parser_get_root(parser));
	}
	return g_steal_pointer(&response);
}

static MsWireResponse *
client_get(Client *self, const char *target, const char *extra_headers)
{
	g_autofree char *request = g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
						   target,
						   extra_headers != NULL ? extra_headers : "");

	client_send(self, request);
	return client_read_response(self);
}

static void
assert_hello(Client *self)
{
	g_autoptr(MsWireResponse) response = client_get(self, "/api/hello?name=Ada", NULL);

	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(ms_wire_response_get_string(response, "message"), ==, "Hello, Ada!");
}

/* the gateway answers a path of no route itself: no upstream, no file descriptor */
static void
assert_not_found(Client *self)
{
	g_autoptr(MsWireResponse) response = client_get(self, "/nowhere", NULL);

	ms_wire_assert_problem(response, 404, NULL);
}

static gboolean
client_wait_closed(Client *self)
{
	return self->buffer->len == 0 && client_read_more(self) <= 0;
}

/* Returns: %TRUE when bytes (or the end) can be read now, without waiting */
static gboolean
client_has_input(Client *self)
{
	return self->buffer->len > 0 ||
	       g_socket_condition_check(self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0;
}

/* --- cases ------------------------------------------------------------------------------ */

static const Case max_connections_case = { "max_connections = 4", 0 };

static void
test_max_connections(Fixture *fx, gconstpointer data)
{
	Client *held[4];
	g_autoptr(Client) waiting = NULL;
	g_autoptr(MsWireResponse) response = NULL;

	/* answered: each of them is accepted and holds its slot while idle */
	for (guint i = 0; i < G_N_ELEMENTS(held); i++) {
		held[i] = client_new(fx);
		assert_hello(held[i]);
	}
	waiting = client_new(fx);
	client_send(waiting, "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n");
	/*
	 * Had the gateway accepted it, its 404 (no upstream) would be there
	 * before these answers that each wait for hello: the gateway polls the
	 * listener in the same turns that serve these.
	 */
	for (guint i = 0; i < G_N_ELEMENTS(held); i++)
		assert_hello(held[i]);
	g_assert_false(client_has_input(waiting));

	/* a close anywhere lets the waiting one in */
	g_clear_pointer(&held[0], client_free);
	response = client_read_response(waiting);
	ms_wire_assert_problem(response, 404, "not_found");
	for (guint i = 1; i < G_N_ELEMENTS(held); i++) {
		assert_hello(held[i]);
		client_free(held[i]);
	}
}

static const Case per_client_case = { "max_connections_per_client = 2", 0 };

static void
test_per_client_503(Fixture *fx, gconstpointer data)
{
	g_autoptr(Client) first = client_new(fx);
	g_autoptr(Client) second = client_new(fx);
	g_autoptr(Client) third = NULL;
	g_autoptr(Client) fourth = NULL;
	g_autoptr(MsWireResponse) refused = NULL;
	g_autoptr(MsWireResponse) closing = NULL;

	assert_hello(first);
	assert_hello(second);

	/* refused without a request: the answer comes as soon as it is accepted */
	third = client_new(fx);
	refused = client_read_response(third);
	ms_wire_assert_problem(refused, 503, "too_many_connections");
	g_assert_nonnull(ms_wire_response_get_header(refused, "Retry-After"));
	g_assert_true(
		soup_message_headers_header_contains(refused->headers, "Connection", "close"));
	g_assert_true(client_wait_closed(third));

	/* the first two go on as if nothing happened */
	assert_hello(first);
	assert_hello(second);

	/*
	 * The gateway closes first itself; the round trip on the second then
	 * comes after the close, and so after the client's count went down.
	 */
	closing = client_get(first, "/api/hello?name=Bye", "Connection: close\r\n");
	g_assert_cmpuint(closing->status, ==, 200);
	g_assert_true(client_wait_closed(first));
	assert_hello(second);
	fourth = client_new(fx);
	assert_hello(fourth);
}

static const Case emfile_case = { "max_connections = 1000", EMFILE_NOFILE };

static guint
count_accept_warnings(Fixture *fx)
{
	g_autofree char *log = ms_test_process_get_log(fx->gateway);
	guint count = 0;

	for (const char *p = strstr(log, "accept failed"); p != NULL;
	     p = strstr(p + 1, "accept failed"))
		count++;
	return count;
}

static void
test_emfile_no_spin(Fixture *fx, gconstpointer data)
{
	g_autoptr(Client) held = client_new(fx);
	g_autoptr(Client) after = NULL;
	g_autoptr(GPtrArray) flood = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	guint warnings;

	assert_not_found(held);
	for (guint i = 0; i < EMFILE_CLIENTS; i++)
		g_ptr_array_add(flood, client_new(fx));
	/*
	 * Each answer is a turn of the loops that also accept, up to 16 at a time:
	 * enough turns to run out of descriptors. A loop that spun on the
	 * listener would write a warning on each of its many turns meanwhile.
	 */
	for (guint i = 0; i < EMFILE_TURNS; i++)
		assert_not_found(held);
	/* on a loaded machine the warning may trail the answers: more turns, bounded */
	for (guint i = 0; i < EMFILE_MAX_EXTRA_TURNS && count_accept_warnings(fx) == 0; i++)
		assert_not_found(held);
	warnings = count_accept_warnings(fx);
	g_test_message("accept warnings: %u", warnings);
	g_assert_cmpuint(warnings, >=, 1);
	g_assert_cmpuint(warnings, <=, EMFILE_MAX_WARNINGS);

	/* the descriptors come back: the gateway serves again once its back-off ends */
	g_ptr_array_set_size(flood, 0);
	after = client_new(fx);
	assert_hello(after);
	g_assert_cmpuint(count_accept_warnings(fx), <=, EMFILE_MAX_WARNINGS);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/gateway/limits/max-connections",
		   Fixture,
		   &max_connections_case,
		   fixture_setup,
		   test_max_connections,
		   fixture_teardown);
	g_test_add("/gateway/limits/per-client-503",
		   Fixture,
		   &per_client_case,
		   fixture_setup,
		   test_per_client_503,
		   fixture_teardown);
	g_test_add("/gateway/limits/emfile-no-spin",
		   Fixture,
		   &emfile_case,
		   fixture_setup,
		   test_emfile_no_spin,
		   fixture_teardown);
	return g_test_run();
}

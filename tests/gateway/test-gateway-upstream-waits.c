/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"

/*
 * When the built gateway's request waits for its upstream instead of failing:
 * - a Unix socket whose listen backlog is full refuses a connect() at once
 *   (EAGAIN): a service that is busy, or just starting under socket activation,
 *   with a burst of connections. The request waits for room, within its route's
 *   timeout, rather than being answered 502 at once;
 * - a route's max_upstream_connections are all busy: the request waits for one
 *   to come free, in order.
 * The upstream here is a socket of the test's own that accepts only when the test
 * says so.
 */

#define ROOM_AFTER_US    (300 * G_TIME_SPAN_MILLISECOND)
#define STUCK_TIMEOUT_MS 300

typedef struct {
	char *path;
	GSocket *listener;
	GPtrArray *fillers; /* GSocket: connections waiting in the backlog */
} FullBacklog;

/* a listening socket nobody accepts on, its backlog filled to refusal */
static FullBacklog *
full_backlog_new(const char *dir, const char *name)
{
	FullBacklog *self = g_new0(FullBacklog, 1);
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) error = NULL;
	gboolean refused = FALSE;

	self->path = g_build_filename(dir, name, NULL);
	address = g_unix_socket_address_new(self->path);
	self->listener = g_socket_new(G_SOCKET_FAMILY_UNIX,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_DEFAULT,
				      &error);
	g_assert_no_error(error);
	g_socket_set_listen_backlog(self->listener, 1);
	g_assert_true(g_socket_bind(self->listener, address, TRUE, &error));
	g_assert_true(g_socket_listen(self->listener, &error));
	g_assert_no_error(error);
	self->fillers = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < 64 && !refused; i++) {
		g_autoptr(GSocket) client = g_socket_new(G_SOCKET_FAMILY_UNIX,
							 G_SOCKET_TYPE_STREAM,
							 G_SOCKET_PROTOCOL_DEFAULT,
							 &error);
		g_autoptr(GError) connect_error = NULL;

		g_assert_no_error(error);
		g_socket_set_blocking(client, FALSE);
		if (g_socket_connect(client, address, NULL, &connect_error))
			g_ptr_array_add(self->fillers, g_steal_pointer(&client));
		else if (g_error_matches(connect_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			refused = TRUE;
		else
			g_assert_no_error(connect_error);
	}
	g_assert_true(refused);
	return self;
}

static void
full_backlog_free(FullBacklog *self)
{
	g_ptr_array_unref(self->fillers);
	g_object_unref(self->listener);
	g_unlink(self->path);
	g_free(self->path);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FullBacklog, full_backlog_free)

/* one request head from @conn, which the gateway writes */
static char *
read_request_head(GSocket *conn)
{
	g_autoptr(GString) request = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	char buffer[4096];
	gssize n;

	g_socket_set_timeout(conn, 10);
	while (strstr(request->str, "\r\n\r\n") == NULL &&
	       (n = g_socket_receive(conn, buffer, sizeof buffer, NULL, &error)) > 0)
		g_string_append_len(request, buffer, n);
	g_assert_no_error(error);
	return g_string_free(g_steal_pointer(&request), FALSE);
}

static void
send_text(GSocket *conn, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_socket_send(conn, text, strlen(text), NULL, &error),
			==,
			(gssize)strlen(text));
	g_assert_no_error(error);
}

#define OK_ANSWER                                               \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 11\r\n\r\n{\"ok\":true}"

/*
 * Makes room and answers the gateway's request: the fillers hang up and are
 * accepted, so the next connection accepted with bytes in it is the gateway's
 */
static void
full_backlog_answer(FullBacklog *self, const char *raw_answer)
{
	g_autoptr(GError) error = NULL;

	g_ptr_array_set_size(self->fillers, 0);
	g_socket_set_timeout(self->listener, 10);
	for (;;) {
		g_autoptr(GSocket) accepted = g_socket_accept(self->listener, NULL, &error);
		g_autofree char *request = NULL;

		g_assert_no_error(error);
		request = read_request_head(accepted);
		if (*request == '\0')
			continue; /* a filler */
		g_assert_true(g_str_has_prefix(request, "GET /busy/x "));
		send_text(accepted, raw_answer);
		return;
	}
}

typedef struct {
	char *dir;
	FullBacklog *busy;
	FullBacklog *stuck;
	GSocket *one; /* the upstream of a route with max_upstream_connections = 1 */
	char *one_path;
	MsTestProcess *gateway;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;

	fx->dir = ms_test_dir_new();
	fx->busy = full_backlog_new(fx->dir, "busy.sock");
	fx->stuck = full_backlog_new(fx->dir, "stuck.sock");
	fx->one_path = g_build_filename(fx->dir, "one.sock", NULL);
	fx->one = ms_test_bind_unix(fx->one_path);
	config = g_strdup_printf("[gateway]\nworkers = 1\n\n"
				 "[route busy]\nprefix = /api/busy\nupstream = unix:%s\n"
				 "timeout_ms = 10000\n\n"
				 "[route stuck]\nprefix = /api/stuck\nupstream = unix:%s\n"
				 "timeout_ms = %u\n\n"
				 "[route one]\nprefix = /api/one\nupstream = unix:%s\n"
				 "timeout_ms = 10000\nmax_upstream_connections = 1\n",
				 fx->busy->path,
				 fx->stuck->path,
				 STUCK_TIMEOUT_MS,
				 fx->one_path);
	fx->gateway = ms_test_gateway_spawn(fx->dir, config, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->busy, full_backlog_free);
	g_clear_pointer(&fx->stuck, full_backlog_free);
	g_clear_object(&fx->one);
	g_unlink(fx->one_path);
	g_free(fx->one_path);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

static MsWireConn *
send_get(Fixture *fx, const char *target)
{
	MsWireConn *conn = ms_wire_conn_new(fx->gateway->socket_path);
	g_autofree char *raw =
		g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", target);

	ms_wire_conn_send_str(conn, raw);
	return conn;
}

/* the request waits while the backlog is full, and is answered once there is room */
static void
test_waits_for_room(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = send_get(fx, "/api/busy/x");
	g_autoptr(MsWireResponse) response = NULL;
	gint64 sent = g_get_monotonic_time();

	g_usleep(ROOM_AFTER_US);
	full_backlog_answer(fx->busy, OK_ANSWER);
	response = ms_wire_conn_read_response(conn, FALSE);
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpint(g_get_monotonic_time() - sent, >=, ROOM_AFTER_US);
	g_assert_cmpmem(g_bytes_get_data(response->body, NULL),
			g_bytes_get_size(response->body),
			"{\"ok\":true}",
			11);
}

/* a backlog that stays full: the route's timeout, as an upstream that never answers */
static void
test_full_until_timeout(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = send_get(fx, "/api/stuck/x");
	gint64 sent = g_get_monotonic_time();
	g_autoptr(MsWireResponse) response = ms_wire_conn_read_response(conn, FALSE);

	ms_wire_assert_problem(response, 504, "upstream_timeout");
	g_assert_cmpint(g_get_monotonic_time() - sent,
			>=,
			(STUCK_TIMEOUT_MS - 50) * G_TIME_SPAN_MILLISECOND);
	ms_test_process_wait_log_contains(fx->gateway,
					  "timed out waiting for room in the upstream's backlog",
					  5000);
}

/* the next request head on @upstream is for @path */
static void
expect_request(GSocket *upstream, const char *path)
{
	g_autofree char *request = read_request_head(upstream);
	g_autofree char *line = g_strdup_printf("GET %s ", path);

	g_assert_true(g_str_has_prefix(request, line));
}

/* the route one's upstream takes a connection, with the request for @path on it */
static GSocket *
one_accept(Fixture *fx, const char *path)
{
	g_autoptr(GSocket) upstream = NULL;
	g_autoptr(GError) error = NULL;

	g_socket_set_timeout(fx->one, 10);
	upstream = g_socket_accept(fx->one, NULL, &error);
	g_assert_no_error(error);
	expect_request(upstream, path);
	return g_steal_pointer(&upstream);
}

/* @upstream answers, and the client on @conn gets that answer */
static void
answer_ok(GSocket *upstream, MsWireConn *conn)
{
	g_autoptr(MsWireResponse) response = NULL;

	send_text(upstream, OK_ANSWER);
	response = ms_wire_conn_read_response(conn, FALSE);
	g_assert_cmpuint(response->status, ==, 200);
}

/*
 * A route's one connection is busy: the next request waits for it, opens no
 * other, and goes on it once the first is answered
 */
static void
test_limit_waits_in_order(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) first = send_get(fx, "/api/one/a");
	g_autoptr(GSocket) upstream = one_accept(fx, "/one/a");
	g_autoptr(MsWireConn) second = send_get(fx, "/api/one/b");

	/* no second connection while the first is busy */
	g_assert_false(g_socket_condition_timed_wait(fx->one, G_IO_IN, ROOM_AFTER_US, NULL, NULL));
	answer_ok(upstream, first);
	/* the same connection, kept alive, takes the waiting request */
	expect_request(upstream, "/one/b");
	answer_ok(upstream, second);
}

/*
 * A waiting client hangs up: its wait leaves the queue, and the connection that
 * comes free goes to the request behind it
 */
static void
test_limit_waiter_gone(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) first = send_get(fx, "/api/one/a");
	g_autoptr(GSocket) upstream = one_accept(fx, "/one/a");
	g_autoptr(MsWireConn) third = NULL;

	ms_wire_conn_free(send_get(fx, "/api/one/b"));
	/* the gateway logs a request whose client went away when it lets it go */
	ms_test_process_wait_log_contains(fx->gateway, "GET /api/one/b", 5000);
	third = send_get(fx, "/api/one/c");
	answer_ok(upstream, first);
	expect_request(upstream, "/one/c");
	answer_ok(upstream, third);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/gateway/upstream-waits/backlog-full-waits-for-room",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_waits_for_room,
		   fixture_teardown);
	g_test_add("/gateway/upstream-waits/backlog-full-until-timeout",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_full_until_timeout,
		   fixture_teardown);
	g_test_add("/gateway/upstream-waits/limit-waits-in-order",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_limit_waits_in_order,
		   fixture_teardown);
	g_test_add("/gateway/upstream-waits/limit-waiter-gone",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_limit_waiter_gone,
		   fixture_teardown);
	return g_test_run();
}

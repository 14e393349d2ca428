/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"
#include "ms-wire-upstream.h"

/*
 * HTTP/1.1 on the wire: the built microsoup-gateway, handed its socket as systemd
 * does, in front of the built hello and calculator and of a threaded upstream
 * with a large body, talked to with raw bytes. Whatever reads HTTP in the
 * gateway, these are the answers a client gets.
 */

#define BIG_BODY_SIZE (1024 * 1024)
#define CALC_MAX_BODY 1024

typedef struct {
	char *dir;
	MsTestProcess *hello;
	MsTestProcess *calculator;
	MsTestProcess *gateway;
	MsWireUpstream *big;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;
	g_autofree char *calc_socket = NULL;
	g_autofree char *database_option = NULL;

	fx->dir = ms_test_dir_new();
	calc_socket = g_build_filename(fx->dir, "calculator.sock", NULL);
	database_option = g_strconcat("--database=", fx->dir, "/calculator.db", NULL);
	fx->hello = ms_test_process_spawn("microsoup-hello",
					  (const char *const[]){ "--idle-timeout=0", NULL });
	fx->calculator = ms_test_process_spawn_at(
		"microsoup-calculator",
		calc_socket,
		(const char *const[]){ database_option, "--idle-timeout=0", NULL });
	fx->big = ms_wire_upstream_new(BIG_BODY_SIZE);
	config = g_strdup_printf("[gateway]\nworkers = 2\n\n"
				 "[route hello]\nprefix = /api/hello\nupstream = unix:%s\n"
				 "methods = GET, HEAD\n\n"
				 "[route calc]\nprefix = /api/calc\nupstream = unix:%s\n"
				 "methods = GET, HEAD, POST\nmax_body_bytes = %u\n\n"
				 "[route big]\nprefix = /api/big\nupstream = unix:%s\n"
				 "methods = GET, HEAD\ntimeout_ms = 20000\n",
				 fx->hello->socket_path,
				 calc_socket,
				 (guint)CALC_MAX_BODY,
				 ms_wire_upstream_get_socket_path(fx->big));
	fx->gateway = ms_test_gateway_spawn(fx->dir, config, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	/* whatever a case sent, the gateway is still up and stops cleanly (under
	 * ASan this is also where its own memory errors and leaks show) */
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->calculator, ms_test_process_free);
	g_clear_pointer(&fx->hello, ms_test_process_free);
	g_clear_pointer(&fx->big, ms_wire_upstream_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

static MsWireConn *
connect_gateway(Fixture *fx)
{
	return ms_wire_conn_new(fx->gateway->socket_path);
}

static char *
get_request(const char *method, const char *target, const char *extra_headers)
{
	return g_strdup_printf("%s %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
			       method,
			       target,
			       extra_headers != NULL ? extra_headers : "");
}

/* sends one request on @conn and reads its answer */
static MsWireResponse *
exchange(MsWireConn *conn, const char *method, const char *target, const char *extra_headers)
{
	g_autofree char *request = get_request(method, target, extra_headers);

	ms_wire_conn_send_str(conn, request);
	return ms_wire_conn_read_response(conn, g_str_equal(method, "HEAD"));
}

static void
assert_hello(MsWireResponse *response, const char *name)
{
	g_autofree char *message = g_strdup_printf("Hello, %s!", name);

	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(ms_wire_response_get_string(response, "message"), ==, message);
	g_assert_nonnull(ms_wire_response_get_header(response, "X-Request-ID"));
}

/* answers until the server closes, for requests it refuses as a whole */
static void
assert_refused(Fixture *fx, const char *bytes, gsize length, guint status)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response = NULL;

	/* it may answer and close before taking everything: that is allowed */
	ms_wire_conn_send(conn, bytes, length);
	response = ms_wire_conn_read_response(conn, FALSE);
	ms_wire_assert_problem(response, status, NULL);
	g_assert_true(ms_wire_conn_wait_closed(conn, TRUE));
}

static void
test_keep_alive(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < 3; i++) {
		g_autofree char *name = g_strdup_printf("N%u", i);
		g_autofree char *target = g_strconcat("/api/hello?name=", name, NULL);
		g_autoptr(MsWireResponse) response = exchange(conn, "GET", target, NULL);

		assert_hello(response, name);
		g_assert_true(g_str_has_prefix(response->status_line, "HTTP/1.1 200"));
		g_assert_false(soup_message_headers_header_contains(response->headers,
								    "Connection",
								    "close"));
		/* every request gets an id of its own */
		g_assert_true(g_hash_table_add(
			ids,
			g_strdup(ms_wire_response_get_header(response, "X-Request-ID"))));
	}
}

static void
test_pipelining(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	const char *names[] = { "A", "B", "C" };
	g_autoptr(GString) requests = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		g_string_append_printf(requests,
				       "GET /api/hello?name=%s HTTP/1.1\r\nHost: localhost\r\n\r\n",
				       names[i]);
	ms_wire_conn_send_str(conn, requests->str);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(MsWireResponse) response = ms_wire_conn_read_response(conn, FALSE);
		assert_hello(response, names[i]);
	}
}

static void
test_http10(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response = NULL;

	ms_wire_conn_send_str(conn, "GET /api/hello?name=Old HTTP/1.0\r\nHost: localhost\r\n\r\n");
	response = ms_wire_conn_read_response(conn, FALSE);
	assert_hello(response, "Old");
	/* no keep-alive asked for in HTTP/1.0: the server ends the connection */
	g_assert_true(ms_wire_conn_wait_closed(conn, FALSE));
}

static void
test_connection_close(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response =
		exchange(conn, "GET", "/api/hello?name=Bye", "Connection: close\r\n");

	assert_hello(response, "Bye");
	g_assert_true(
		soup_message_headers_header_contains(response->headers, "Connection", "close"));
	g_assert_true(ms_wire_conn_wait_closed(conn, FALSE));
}

static void
test_garbage(Fixture *fx, gconstpointer data)
{
	assert_refused(fx, "HELLO\r\n\r\n", strlen("HELLO\r\n\r\n"), 400);
}

static void
test_huge_head(Fixture *fx, gconstpointer data)
{
	g_autoptr(GString) request = g_string_new("GET /api/hello HTTP/1.1\r\nHost: localhost\r\n");

	g_string_append(request, "X-Big: ");
	for (guint i = 0; i < 70 * 1024; i++)
		g_string_append_c(request, 'a' + i % 26);
	g_string_append(request, "\r\n\r\n");
	assert_refused(fx, request->str, request->len, 431);
}

static void
test_te_gzip(Fixture *fx, gconstpointer data)
{
	const char *request = "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n";

	assert_refused(fx, request, strlen(request), 501);
}

static void
test_content_length_abc(Fixture *fx, gconstpointer data)
{
	const char *request = "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nContent-Length: abc\r\n\r\n";

	assert_refused(fx, request, strlen(request), 400);
}

static void
test_content_length_twice(Fixture *fx, gconstpointer data)
{
	const char *request = "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nContent-Length: 13\r\n"
			      "Content-Length: 12\r\n\r\n{\"a\":1,\"b\":2}";

	assert_refused(fx, request, strlen(request), 400);
}

static void
assert_sum(MsWireResponse *response)
{
	g_autofree char *text =
		g_strndup(g_bytes_get_data(response->body, NULL), g_bytes_get_size(response->body));

	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(text, ==, "{\"operation\":\"add\",\"a\":1,\"b\":2,\"result\":3}");
}

static void
test_chunked_body(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) sum = NULL;
	g_autoptr(MsWireResponse) after = NULL;

	/* the upstream gets the decoded body; the chunk extension is ignored */
	ms_wire_conn_send_str(conn,
			      "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "7\r\n{\"a\":1,\r\n"
			      "6;note=x\r\n\"b\":2}\r\n"
			      "0\r\n\r\n");
	sum = ms_wire_conn_read_response(conn, FALSE);
	assert_sum(sum);
	/* the whole chunked body was taken: the next request is read as one */
	after = exchange(conn, "GET", "/api/hello?name=Next", NULL);
	assert_hello(after, "Next");
}

static void
test_expect_continue(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) proceed = NULL;
	g_autoptr(MsWireResponse) sum = NULL;

	ms_wire_conn_send_str(conn,
			      "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nContent-Length: 13\r\n"
			      "Expect: 100-continue\r\n\r\n");
	proceed = ms_wire_conn_read_response(conn, FALSE);
	g_assert_cmpstr(proceed->status_line, ==, "HTTP/1.1 100 Continue");
	ms_wire_conn_send_str(conn, "{\"a\":1,\"b\":2}");
	sum = ms_wire_conn_read_response(conn, FALSE);
	assert_sum(sum);
}

static void
test_expect_too_large(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response = NULL;

	ms_wire_conn_send_str(conn,
			      "POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			      "Content-Type: application/json\r\nContent-Length: 100000\r\n"
			      "Expect: 100-continue\r\n\r\n");
	/* the first answer is the refusal, never a 100 */
	response = ms_wire_conn_read_response(conn, FALSE);
	ms_wire_assert_problem(response, 413, "body_too_large");
	g_assert_true(ms_wire_conn_wait_closed(conn, TRUE));
}

static void
test_chunked_too_large(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(GString) request =
		g_string_new("POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
			     "Content-Type: application/json\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n");
	g_autoptr(MsWireResponse) response = NULL;

	/* three chunks of 800 bytes against a limit of 1024 */
	for (guint i = 0; i < 3; i++) {
		g_string_append(request, "320\r\n");
		for (guint j = 0; j < 800; j++)
			g_string_append_c(request, ' ');
		g_string_append(request, "\r\n");
	}
	g_string_append(request, "0\r\n\r\n");
	ms_wire_conn_send(conn, request->str, request->len);
	response = ms_wire_conn_read_response(conn, FALSE);
	ms_wire_assert_problem(response, 413, "body_too_large");
	g_assert_true(ms_wire_conn_wait_closed(conn, TRUE));
}

/* every header name of @a is in @b */
static void
assert_same_names(MsWireResponse *a, MsWireResponse *b)
{
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	soup_message_headers_iter_init(&iter, a->headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		g_test_message("header %s", name);
		g_assert_nonnull(soup_message_headers_get_one(b->headers, name));
	}
}

static void
test_head(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	const char *target = "/api/hello?name=Ada";
	g_autofree char *length = NULL;
	g_autoptr(MsWireResponse) got = NULL;
	g_autoptr(MsWireResponse) headed = NULL;
	g_autoptr(MsWireResponse) again = NULL;

	got = exchange(conn, "GET", target, NULL);
	assert_hello(got, "Ada");
	headed = exchange(conn, "HEAD", target, NULL);
	g_assert_cmpuint(headed->status, ==, 200);
	assert_same_names(got, headed);
	assert_same_names(headed, got);
	g_assert_cmpstr(ms_wire_response_get_header(headed, "Content-Type"),
			==,
			ms_wire_response_get_header(got, "Content-Type"));
	length = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(got->body));
	g_assert_cmpstr(ms_wire_response_get_header(headed, "Content-Length"), ==, length);
	/* no body followed the HEAD answer: the next bytes are the next answer */
	again = exchange(conn, "GET", target, NULL);
	assert_hello(again, "Ada");
}

static void
test_client_gone(Fixture *fx, gconstpointer data)
{
	const char *partial[] = {
		"GET /api/hel",
		"POST /api/calc/add HTTP/1.1\r\nHost: localhost\r\n"
		"Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":",
		"GET /api/big/data HTTP/1.1\r\nHost: localhost\r\n\r\n",
	};
	g_autoptr(MsWireConn) conn = NULL;
	g_autoptr(MsWireResponse) response = NULL;

	/* the client hangs up within the head, within the body, and while the
	 * answer is on its way (the first bytes of a 1 MiB one are read) */
	for (guint i = 0; i < G_N_ELEMENTS(partial); i++) {
		g_autoptr(MsWireConn) gone = connect_gateway(fx);
		ms_wire_conn_send_str(gone, partial[i]);
		if (i == 2)
			ms_wire_conn_read_some(gone);
	}
	conn = connect_gateway(fx);
	response = exchange(conn, "GET", "/api/hello?name=Back", NULL);
	assert_hello(response, "Back");
}

typedef struct {
	Fixture *fx;
	gsize next;
	guint side_requests;
} SlowReader;

/* makes the reader slow: every 128 KiB it stops for a whole other request */
static void
on_big_read(gsize total, gpointer user_data)
{
	SlowReader *reader = user_data;
	g_autoptr(MsWireConn) side = NULL;
	g_autoptr(MsWireResponse) response = NULL;

	if (total < reader->next)
		return;
	reader->next += 128 * 1024;
	reader->side_requests++;
	side = connect_gateway(reader->fx);
	response = exchange(side, "GET", "/api/hello?name=Side", NULL);
	assert_hello(response, "Side");
}

static void
test_big_response(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	GBytes *expected = ms_wire_upstream_get_body(fx->big);
	SlowReader reader = { fx, 64 * 1024, 0 };
	g_autoptr(MsWireResponse) response = NULL;
	g_autoptr(MsWireResponse) after = NULL;

	ms_wire_conn_set_reader(conn, 1024, on_big_read, &reader);
	response = exchange(conn, "GET", "/api/big/data", NULL);
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(response->body), ==, g_bytes_get_size(expected));
	g_assert_true(g_bytes_equal(response->body, expected));
	g_assert_cmpuint(reader.side_requests, >=, 7);
	/* and the connection is still good for another request */
	ms_wire_conn_set_reader(conn, 16 * 1024, NULL, NULL);
	after = exchange(conn, "GET", "/api/hello?name=After", NULL);
	assert_hello(after, "After");
}

static void
test_not_found(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response = exchange(conn, "GET", "/nope", NULL);

	ms_wire_assert_problem(response, 404, "not_found");
}

static void
test_method_not_allowed(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(MsWireResponse) response = exchange(conn, "DELETE", "/api/hello", NULL);

	ms_wire_assert_problem(response, 405, "method_not_allowed");
	g_assert_true(soup_message_headers_header_contains(response->headers, "Allow", "GET"));
	g_assert_true(soup_message_headers_header_contains(response->headers, "Allow", "HEAD"));
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	ADD("/gateway/wire/keep-alive", test_keep_alive);
	ADD("/gateway/wire/pipelining", test_pipelining);
	ADD("/gateway/wire/http10-close", test_http10);
	ADD("/gateway/wire/connection-close", test_connection_close);
	ADD("/gateway/wire/garbage-400", test_garbage);
	ADD("/gateway/wire/huge-head-431", test_huge_head);
	ADD("/gateway/wire/te-gzip-501", test_te_gzip);
	ADD("/gateway/wire/content-length-abc-400", test_content_length_abc);
	ADD("/gateway/wire/content-length-twice-400", test_content_length_twice);
	ADD("/gateway/wire/chunked-body", test_chunked_body);
	ADD("/gateway/wire/expect-continue", test_expect_continue);
	ADD("/gateway/wire/expect-too-large-413", test_expect_too_large);
	ADD("/gateway/wire/chunked-too-large-413", test_chunked_too_large);
	ADD("/gateway/wire/head", test_head);
	ADD("/gateway/wire/client-gone", test_client_gone);
	ADD("/gateway/wire/big-response-slow-reader", test_big_response);
	ADD("/gateway/wire/not-found-404", test_not_found);
	ADD("/gateway/wire/method-not-allowed-405", test_method_not_allowed);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"
#include "ms-wire-recorder.h"

/*
 * A route with replicas, on the wire: the built gateway in front of two
 * recorder upstreams (and a socket that is not there), so which replica got
 * each request, and what the client saw, is what gets checked. One worker:
 * the turns are then the worker's own.
 */

typedef struct {
	char *dir;
	char *missing; /* a Unix socket path nothing listens on */
	MsWireRecorder *a;
	MsWireRecorder *b;
	MsTestProcess *gateway;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;

	fx->dir = ms_test_dir_new();
	fx->missing = g_build_filename(fx->dir, "missing.sock", NULL);
	fx->a = ms_wire_recorder_new();
	fx->b = ms_wire_recorder_new();
	config = g_strdup_printf("[gateway]\nworkers = 1\n\n"
				 "[route pair]\nprefix = /api/pair\n"
				 "upstream = unix:%s, unix:%s\n"
				 "methods = GET, HEAD, POST\ntimeout_ms = 3000\n\n"
				 "[route half]\nprefix = /api/half\n"
				 "upstream = unix:%s, unix:%s\n"
				 "methods = GET, POST\ntimeout_ms = 3000\n",
				 ms_wire_recorder_get_socket_path(fx->a),
				 ms_wire_recorder_get_socket_path(fx->b),
				 fx->missing,
				 ms_wire_recorder_get_socket_path(fx->b));
	fx->gateway = ms_test_gateway_spawn(fx->dir, config, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->a, ms_wire_recorder_free);
	g_clear_pointer(&fx->b, ms_wire_recorder_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->missing);
	g_free(fx->dir);
}

static MsWireResponse *
request(Fixture *fx, const char *method, const char *target, const char *body)
{
	g_autoptr(MsWireConn) conn = ms_wire_conn_new(fx->gateway->socket_path);
	g_autofree char *raw = g_strdup_printf("%s %s HTTP/1.1\r\nHost: localhost\r\n"
					       "Content-Length: %zu\r\n\r\n%s",
					       method,
					       target,
					       strlen(body),
					       body);

	g_assert_true(ms_wire_conn_send(conn, raw, strlen(raw)));
	return ms_wire_conn_read_response(conn, FALSE);
}

static guint
n_requests(MsWireRecorder *recorder)
{
	g_autoptr(GPtrArray) records = ms_wire_recorder_get_requests(recorder);

	return records->len;
}

/* one request at a time: the two replicas take turns */
static void
test_turns(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < 10; i++) {
		g_autoptr(MsWireResponse) response = request(fx, "GET", "/api/pair/x", "");
		g_assert_cmpuint(response->status, ==, 200);
	}
	g_assert_cmpuint(n_requests(fx->a), ==, 5);
	g_assert_cmpuint(n_requests(fx->b), ==, 5);
}

/*
 * The first replica closes on a GET without a byte of answer: the GET goes
 * to the other, and the client sees only its 200.
 */
static void
test_get_retried_on_other(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = NULL;

	/* the turns start with the first server listed */
	ms_wire_recorder_script_next(fx->a, "", TRUE);
	response = request(fx, "GET", "/api/pair/once", "");
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(ms_wire_response_get_string(response, "path"), ==, "/pair/once");
	g_assert_cmpuint(n_requests(fx->a), ==, 1);
	g_assert_cmpuint(n_requests(fx->b), ==, 1);
}

/* a POST that reached the replica may have done its work there: never sent twice */
static void
test_post_sent_not_retried(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = NULL;

	ms_wire_recorder_script_next(fx->a, "", TRUE);
	response = request(fx, "POST", "/api/pair/charge", "{\"amount\":1}");
	ms_wire_assert_problem(response, 502, "upstream_unavailable");
	g_assert_cmpuint(n_requests(fx->a), ==, 1);
	g_assert_cmpuint(n_requests(fx->b), ==, 0);
}

/*
 * A replica whose socket is not there: nothing of any request was sent, so
 * even a POST goes to the other. After three failed connects in a row it is
 * out, and /readyz says so while still ready (the other replica serves).
 */
static void
test_refused_taken_out(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) ready = NULL;
	g_autofree char *text = NULL;

	for (guint i = 0; i < 8; i++) {
		g_autoptr(MsWireResponse) response = request(fx, "POST", "/api/half/x", "{}");
		g_assert_cmpuint(response->status, ==, 200);
	}
	g_assert_cmpuint(n_requests(fx->b), ==, 8);
	ready = request(fx, "GET", "/readyz", "");
	text = g_strndup(g_bytes_get_data(ready->body, NULL), g_bytes_get_size(ready->body));
	g_test_message("%s", text);
	g_assert_cmpuint(ready->status, ==, 200);
	g_assert_nonnull(strstr(text, "\"state\":\"out\""));
	g_assert_nonnull(strstr(text, "\"retry_in_ms\""));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) \
	g_test_add("/gateway/replicas/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("turns", test_turns);
	ADD("get-retried-on-other", test_get_retried_on_other);
	ADD("post-sent-not-retried", test_post_sent_not_retried);
	ADD("refused-taken-out", test_refused_taken_out);
#undef ADD
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "ms-test-utils.h"

/*
 * End to end: the built microsoup-gateway (two worker threads) in front of the
 * built microsoup-hello, each handed an already-bound listening socket as fd 3
 * the way systemd does (LISTEN_FDS, LISTEN_PID).
 */

typedef struct {
	char *dir;
	char *config_path;
	MsTestProcess *hello;
	MsTestProcess *gateway;
	SoupSession *session;
} Fixture;

static void
write_config(Fixture *fx, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(fx->config_path, text, -1, &error);
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *config = NULL;
	g_autofree char *config_option = NULL;
	const char *const hello_args[] = { "--idle-timeout=0", NULL };
	const char *workers = data != NULL ? data : "2";

	fx->dir = g_dir_make_tmp("ms-gateway-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	fx->config_path = g_build_filename(fx->dir, "gateway.conf", NULL);
	fx->hello = ms_test_process_spawn("microsoup-hello", hello_args);
	config = g_strdup_printf("[gateway]\nworkers = %s\n\n"
				 "[route hello]\nprefix = /api/hello\nupstream = unix:%s\n",
				 workers,
				 fx->hello->socket_path);
	write_config(fx, config);
	config_option = g_strconcat("--config=", fx->config_path, NULL);
	fx->gateway = ms_test_process_spawn(
		"microsoup-gateway",
		(const char *const[]){ config_option, "--idle-timeout=0", NULL });
	fx->session = ms_test_session_new(fx->gateway->socket_path);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_object_unref(fx->session);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->hello, ms_test_process_free);
	g_unlink(fx->config_path);
	g_rmdir(fx->dir);
	g_free(fx->config_path);
	g_free(fx->dir);
}

static void
test_e2e_hello(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) hello =
		ms_test_request(fx->session, "GET", "/api/hello?name=Ada", NULL, NULL);
	g_autoptr(MsTestResponse) ready =
		ms_test_request(fx->session, "GET", "/readyz", NULL, NULL);
	g_autoptr(MsTestResponse) nope =
		ms_test_request(fx->session, "GET", "/api/nope", NULL, NULL);
	int status;

	g_assert_cmpuint(hello->status, ==, 200);
	g_assert_cmpstr(ms_test_response_get_string(hello, "message"), ==, "Hello, Ada!");
	g_assert_nonnull(ms_test_response_get_header(hello, "X-Request-ID"));
	g_assert_cmpuint(ready->status, ==, 200);
	g_assert_cmpstr(ms_test_response_get_string(ready, "status"), ==, "ready");
	g_assert_cmpuint(nope->status, ==, 404);
	/* many requests over the kept-alive connection */
	for (guint i = 0; i < 50; i++) {
		g_autoptr(MsTestResponse) again =
			ms_test_request(fx->session, "GET", "/api/hello", NULL, NULL);
		g_assert_cmpuint(again->status, ==, 200);
	}
	/* SIGTERM: the workers finish and the process exits cleanly */
	g_subprocess_send_signal(fx->gateway->process, SIGTERM);
	status = ms_test_process_wait(fx->gateway, 10000);
	if (status != 0) {
		g_autofree char *log = ms_test_process_get_log(fx->gateway);
		g_printerr("%s", log);
	}
	g_assert_cmpint(status, ==, 0);
}

/* the message of @process's first stderr line that starts with @start, after "ident[pid]: " */
static char *
wait_log_line(MsTestProcess *process, const char *start)
{
	g_autofree char *needle = g_strconcat("]: ", start, NULL);
	g_autofree char *line = ms_test_process_wait_log(process, needle, 10000);

	return g_strdup(strstr(line, needle) + 3);
}

static void
test_e2e_reload(Fixture *fx, gconstpointer data)
{
	g_autofree char *config = NULL;
	g_autofree char *refused = NULL;
	g_autofree char *reloaded = NULL;

	/* prove it serves, then hand it a broken file: it must keep serving */
	{
		g_autoptr(MsTestResponse) r =
			ms_test_request(fx->session, "GET", "/api/hello", NULL, NULL);
		g_assert_cmpuint(r->status, ==, 200);
	}
	write_config(fx, "[route hello]\nprefix = nope\n");
	g_subprocess_send_signal(fx->gateway->process, SIGHUP);
	/* the requests below must come after the refusal, not race the signal */
	refused = wait_log_line(fx->gateway,
				"WARNING: reload refused, keeping the running configuration: ");
	g_test_message("%s", refused);
	g_assert_nonnull(strstr(refused, fx->config_path));
	for (guint i = 0; i < 5; i++) {
		g_autoptr(MsTestResponse) r =
			ms_test_request(fx->session, "GET", "/api/hello", NULL, NULL);
		g_assert_cmpuint(r->status, ==, 200);
	}
	/* a good file with a new route: served by every request after the reload */
	config = g_strdup_printf("[route hello]\nprefix = /api/hello\nupstream = unix:%s\n"
				 "[route hi]\nprefix = /api/hi\nupstream = unix:%s\n",
				 fx->hello->socket_path,
				 fx->hello->socket_path);
	write_config(fx, config);
	g_subprocess_send_signal(fx->gateway->process, SIGHUP);
	reloaded = wait_log_line(fx->gateway, "configuration reloaded");
	for (guint i = 0; i < 4; i++) {
		g_autoptr(MsTestResponse) r =
			ms_test_request(fx->session, "GET", "/api/hi", NULL, NULL);

		/* hello answers /hi with its own 404: the route reached it */
		g_assert_cmpuint(r->status, ==, 404);
		g_assert_cmpstr(ms_test_response_get_string(r, "instance"), ==, "/hi");
	}
}

/* @request raw on a new connection; the whole answer, up to the gateway's close */
static char *
exchange_raw(Fixture *fx, const char *request, gsize length)
{
	g_autoptr(GSocketConnection) connection = ms_test_connect_raw(fx->gateway->socket_path, 10);

	ms_test_write_raw(connection, request, (gssize)length);
	return ms_test_read_raw(connection, NULL);
}

static guint
count(const char *haystack, const char *needle)
{
	guint n = 0;

	for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* the gateway's own front, as a client without libsoup sees it */
static void
test_e2e_front(Fixture *fx, gconstpointer data)
{
	const char pipelined[] = "GET /api/hello?name=Ada HTTP/1.1\r\nHost: gw\r\n\r\n"
				 "DELETE /api/hello HTTP/1.1\r\nHost: gw\r\n\r\n"
				 "HEAD /readyz HTTP/1.1\r\nHost: gw\r\n\r\n"
				 "GET /readyz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
	/* refused before its body was read: the body cannot be told from a next request */
	const char refused_body[] = "POST /api/hello HTTP/1.1\r\nHost: gw\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
				    "GET /readyz HTTP/1.1\r\nHost: gw\r\n\r\n";
	const char http10[] = "GET /readyz HTTP/1.0\r\n\r\n";
	const char garbage[] = "NOT HTTP AT ALL\r\n\r\n";
	g_autofree char *answers = exchange_raw(fx, pipelined, sizeof pipelined - 1);
	g_autofree char *answer10 = exchange_raw(fx, http10, sizeof http10 - 1);
	g_autofree char *refused = exchange_raw(fx, garbage, sizeof garbage - 1);
	g_autofree char *unread = exchange_raw(fx, refused_body, sizeof refused_body - 1);

	/* four answers in order on one connection, the last one closing it */
	g_assert_true(g_str_has_prefix(answers, "HTTP/1.1 200 OK\r\n"));
	g_assert_nonnull(strstr(answers, "Hello, Ada!"));
	g_assert_cmpuint(count(answers, "HTTP/1.1 "), ==, 4);
	g_assert_cmpuint(count(answers, "\r\nServer: microsoup-gateway\r\n"), ==, 4);
	g_assert_cmpuint(count(answers, "\r\nDate: "), ==, 4);
	g_assert_cmpuint(count(answers, "\r\nX-Request-ID: "), ==, 4);
	g_assert_cmpuint(count(answers, "\r\nConnection: close\r\n"), ==, 1);
	g_assert_cmpuint(count(answers, "HTTP/1.1 405 Method Not Allowed\r\n"), ==, 1);
	g_assert_cmpuint(count(answers, "\"status\":\"ready\""), ==, 1);

	g_assert_true(g_str_has_prefix(unread, "HTTP/1.1 405 Method Not Allowed\r\n"));
	g_assert_nonnull(strstr(unread, "\r\nConnection: close\r\n"));
	g_assert_cmpuint(count(unread, "HTTP/1.1 "), ==, 1);

	g_assert_true(g_str_has_prefix(answer10, "HTTP/1.0 200 OK\r\n"));
	g_assert_nonnull(strstr(answer10, "\r\nConnection: close\r\n"));

	g_assert_true(g_str_has_prefix(refused, "HTTP/1.1 400 Bad Request\r\n"));
	g_assert_nonnull(strstr(refused, "\r\nContent-Type: application/problem+json"));
	g_assert_nonnull(strstr(refused, "\r\nConnection: close\r\n"));
}

/* without journald, the stderr access lines of the gateway and of hello find a request by its id */
static void
test_e2e_stderr_request_id(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) hello =
		ms_test_request(fx->session, "GET", "/api/hello?name=Ada", NULL, NULL);
	const char *id = ms_test_response_get_header(hello, "X-Request-ID");
	g_autofree char *gateway_line = NULL;
	g_autofree char *hello_line = NULL;
	g_autofree char *gateway_end = NULL;
	g_autofree char *hello_end = NULL;

	g_assert_cmpuint(hello->status, ==, 200);
	g_assert_nonnull(id);
	gateway_line = wait_log_line(fx->gateway, "GET /api/hello 200 ");
	hello_line = wait_log_line(fx->hello, "GET /hello 200 ");
	gateway_end =
		g_strdup_printf(" id=%s route=hello upstream=unix:%s", id, fx->hello->socket_path);
	hello_end = g_strdup_printf("µs id=%s", id);
	g_test_message("gateway: %s", gateway_line);
	g_test_message("hello: %s", hello_line);
	if (!g_str_has_suffix(gateway_line, gateway_end) ||
	    !g_str_has_suffix(hello_line, hello_end)) {
		g_printerr("gateway: %s\nhello: %s\n", gateway_line, hello_line);
		g_assert_not_reached();
	}
}

static int
run_check_config(const char *path, char **err)
{
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-gateway", NULL);
	g_autofree char *option = g_strconcat("--config=", path, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) process =
		g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error,
				 binary,
				 "--check-config",
				 option,
				 NULL);

	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, NULL, err, &error);
	g_assert_no_error(error);
	return g_subprocess_get_exit_status(process);
}

static void
test_e2e_check_config(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ms-gateway-check-XXXXXX", &error);
	g_autofree char *good = g_build_filename(dir, "good.conf", NULL);
	g_autofree char *bad = g_build_filename(dir, "bad.conf", NULL);
	g_autofree char *shipped =
		g_build_filename(g_getenv("MICROSOUP_SOURCE_ROOT"), "data", "gateway.conf", NULL);
	g_autofree char *err = NULL;
	g_autofree char *expected = NULL;

	g_assert_no_error(error);
	g_file_set_contents(good, "[route a]\nprefix=/api/a\nupstream=unix:/a.sock\n", -1, NULL);
	g_file_set_contents(bad,
			    "[route a]\nprefix=/api/a\n\nupstream=unix:/a.sock\ntimeout_ms=-1\n",
			    -1,
			    NULL);
	g_assert_cmpint(run_check_config(good, NULL), ==, 0);
	g_assert_cmpint(run_check_config(shipped, NULL), ==, 0);
	g_assert_cmpint(run_check_config(bad, &err), ==, 1);
	expected = g_strconcat(bad, ":5: [route a] timeout_ms", NULL);
	g_assert_true(g_str_has_prefix(err, expected));
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_check_config("/nonexistent/gateway.conf", &err), ==, 1);
	g_unlink(good);
	g_unlink(bad);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/gateway/e2e/hello",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_e2e_hello,
		   fixture_teardown);
	g_test_add("/gateway/e2e/reload",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_e2e_reload,
		   fixture_teardown);
	g_test_add("/gateway/e2e/front",
		   Fixture,
		   "1",
		   fixture_setup,
		   test_e2e_front,
		   fixture_teardown);
	g_test_add("/gateway/e2e/stderr-request-id",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_e2e_stderr_request_id,
		   fixture_teardown);
	g_test_add_func("/gateway/e2e/check-config", test_e2e_check_config);
	return g_test_run();
}

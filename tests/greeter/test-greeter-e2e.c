/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>

#include "ms-test-utils.h"

/*
 * The built binaries, started as systemd starts them after socket activation:
 * an already-bound socket as fd 3 with LISTEN_FDS/LISTEN_PID.
 */

typedef struct {
	const char *binary;
	const char *path;
	const char *expected;
} Service;

static const Service services[] = {
	{ "microsoup-hello", "/hello?name=Ada", "Hello, Ada!" },
	{ "microsoup-world", "/world", "World!" },
	{ "microsoup-goodbye", "/goodbye?name=Ada", "Goodbye, Ada!" },
};

static void
test_activated(gconstpointer data)
{
	const Service *service = data;
	const char *args[] = { "--idle-timeout=1", NULL };
	g_autoptr(MsTestProcess) process = ms_test_process_spawn(service->binary, args);
	g_autoptr(SoupSession) session = ms_test_session_new(process->socket_path);
	g_autoptr(MsTestResponse) r = ms_test_request(session, "GET", service->path, NULL, NULL);
	g_autofree char *log = NULL;
	gint64 answered = g_get_monotonic_time();
	int status;

	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(ms_test_response_get_string(r, "message"), ==, service->expected);
	g_assert_nonnull(ms_test_response_get_header(r, "X-Request-ID"));

	/* the session's pooled connection would keep the service busy: drop it */
	soup_session_abort(session);
	status = ms_test_process_wait(process, 10000);
	log = ms_test_process_get_log(process);
	g_test_message("%s", log);
	g_assert_cmpint(status, ==, 0);
	/* idle exit comes after the timeout, not before */
	g_assert_cmpint(g_get_monotonic_time() - answered, >=, G_USEC_PER_SEC * 9 / 10);
	g_assert_nonnull(strstr(log, "(idle)"));
}

static void
test_idle_exit_without_client(void)
{
	const char *args[] = { "--idle-timeout=1", NULL };
	g_autoptr(MsTestProcess) process = ms_test_process_spawn("microsoup-hello", args);
	int status = ms_test_process_wait(process, 10000);
	g_autofree char *log = ms_test_process_get_log(process);

	g_test_message("%s", log);
	/* exited by itself, and because it was idle: not a crash, not a signal */
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(log, "idle for 1 s, exiting;"));
	g_assert_nonnull(strstr(log, "exiting after 0 request(s) (idle)"));
}

/* a raw connection to @process; a service that stops answering fails the test in 5 s */
static GSocketConnection *
connect_raw(MsTestProcess *process)
{
	return ms_test_connect_raw(process->socket_path, 5);
}

/*
 * A client that hangs up in the middle of a request leaves libsoup a message
 * it drops without finishing it: the service must still see itself idle and
 * exit, not wait for that message forever.
 */
static void
test_idle_exit_after_abandoned_request(gconstpointer data)
{
	const char *args[] = { "--idle-timeout=1", NULL };
	g_autoptr(MsTestProcess) process = ms_test_process_spawn("microsoup-hello", args);
	g_autoptr(GSocketConnection) connection = connect_raw(process);
	g_autoptr(SoupSession) session = ms_test_session_new(process->socket_path);
	g_autoptr(MsTestResponse) probe = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *log = NULL;

	ms_test_write_raw(connection, data, -1);
	/* a later connection answered says the service read what this one sent */
	probe = ms_test_request(session, "GET", "/hello?name=Bob", NULL, NULL);
	g_assert_cmpuint(probe->status, ==, 200);
	soup_session_abort(session);
	g_io_stream_close(G_IO_STREAM(connection), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ms_test_process_wait(process, 10000), ==, 0);
	log = ms_test_process_get_log(process);
	g_test_message("%s", log);
	g_assert_nonnull(strstr(log, "exiting after 1 request(s) (idle)"));
}

/*
 * Sends SIGTERM once a request on a later connection is answered: that says the
 * service took the connections opened before it, accepted in order (a SIGTERM
 * before would leave them in the backlog, for the next instance). Returns when
 * the service says it is stopping.
 */
static void
sigterm_after_probe(MsTestProcess *process)
{
	g_autoptr(SoupSession) session = ms_test_session_new(process->socket_path);
	g_autoptr(MsTestResponse) probe =
		ms_test_request(session, "GET", "/hello?name=Bob", NULL, NULL);
	g_autofree char *stopping = NULL;

	g_assert_cmpuint(probe->status, ==, 200);
	soup_session_abort(session);
	g_subprocess_send_signal(process->process, SIGTERM);
	stopping = ms_test_process_wait_log(process, "]: stopping: ", 10000);
	g_test_message("%s", stopping);
}

/* Ada's greeting, the last answer on its connection, and the service's clean exit */
static void
assert_last_answer_then_exit(MsTestProcess *process, const char *answer)
{
	g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200"));
	g_assert_nonnull(strstr(answer, "Connection: close"));
	g_assert_nonnull(strstr(answer, "{\"message\":\"Hello, Ada!\"}"));
	g_assert_cmpint(ms_test_process_wait(process, 10000), ==, 0);
}

static void
test_sigterm_finishes_request_in_flight(void)
{
	const char *args[] = { "--idle-timeout=0", NULL };
	g_autoptr(MsTestProcess) process = ms_test_process_spawn("microsoup-hello", args);
	g_autoptr(GSocketConnection) connection = connect_raw(process);
	g_autofree char *answer = NULL;

	/* headers and half the body: the request is in flight when SIGTERM arrives */
	ms_test_write_raw(connection,
			  "GET /hello?name=Ada HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab",
			  -1);
	sigterm_after_probe(process);
	/* the rest of the body only once the service is stopping */
	ms_test_write_raw(connection, "cd", -1);
	answer = ms_test_read_raw(connection, NULL);
	assert_last_answer_then_exit(process, answer);
}

/*
 * At SIGTERM a keep-alive connection that has been answered and sits idle owes
 * nothing: it is closed at once, and its client retries elsewhere. A connection
 * that has sent nothing yet was just opened: its first request is on its way and
 * is answered, with Connection: close.
 */
static void
test_sigterm_closes_idle_answers_new(void)
{
	const char *args[] = { "--idle-timeout=0", NULL };
	const char *request = "GET /hello?name=Ada HTTP/1.1\r\nHost: x\r\n\r\n";
	g_autoptr(MsTestProcess) process = ms_test_process_spawn("microsoup-hello", args);
	g_autoptr(GSocketConnection) idle = connect_raw(process);
	g_autoptr(GSocketConnection) fresh = NULL;
	g_autofree char *first = NULL;
	g_autofree char *after_stop = NULL;
	g_autofree char *answer = NULL;

	ms_test_write_raw(idle, request, -1);
	first = ms_test_read_raw(idle, "Hello, Ada!");
	g_assert_true(g_str_has_prefix(first, "HTTP/1.1 200"));
	fresh = connect_raw(process);
	sigterm_after_probe(process);
	/* the end of the idle one, well before the drain bound of 10 s */
	after_stop = ms_test_read_raw(idle, NULL);
	g_assert_cmpstr(after_stop, ==, "");
	ms_test_write_raw(fresh, request, -1);
	answer = ms_test_read_raw(fresh, NULL);
	assert_last_answer_then_exit(process, answer);
}

static void
test_no_socket_is_an_error(void)
{
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-hello", NULL);
	const char *argv[] = { binary, NULL };
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;

	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 1);
	g_assert_nonnull(strstr(err, "WARNING: cannot serve: "));
	g_assert_nonnull(strstr(err, "--listen"));
}

static void
test_version(void)
{
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-world", NULL);
	const char *argv[] = { binary, "--version", NULL };
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 0);
	g_assert_cmpstr(out, ==, "microsoup-world " PACKAGE_VERSION "\n");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	for (guint i = 0; i < G_N_ELEMENTS(services); i++) {
		g_autofree char *path =
			g_strdup_printf("/e2e/%s/activated-then-idle", services[i].binary);
		g_test_add_data_func(path, &services[i], test_activated);
	}
	g_test_add_func("/e2e/idle-exit-without-client", test_idle_exit_without_client);
	g_test_add_data_func("/e2e/idle-exit-after-abandoned-request/line",
			     "GET /hel",
			     test_idle_exit_after_abandoned_request);
	g_test_add_data_func("/e2e/idle-exit-after-abandoned-request/body",
			     "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
			     test_idle_exit_after_abandoned_request);
	g_test_add_func("/e2e/sigterm-finishes-request-in-flight",
			test_sigterm_finishes_request_in_flight);
	g_test_add_func("/e2e/sigterm-closes-idle-answers-new",
			test_sigterm_closes_idle_answers_new);
	g_test_add_func("/e2e/no-socket-is-an-error", test_no_socket_is_an_error);
	g_test_add_func("/e2e/version", test_version);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "common/ms-request-id.h"
#include "ms-test-utils.h"

/*
 * What every built service does around its handlers (MsRuntime), seen from
 * outside: SIGHUP neither kills nor stops it, --listen serves without systemd
 * and is ignored when systemd passed a socket, and bad options are refused.
 * microsoup-hello stands for all of them.
 */

#define WAIT_MS 20000

static void
assert_hello(const char *socket_path)
{
	g_autoptr(SoupSession) session = ms_test_session_new(socket_path);
	g_autoptr(MsTestResponse) r =
		ms_test_request(session, "GET", "/hello?name=Ada", NULL, NULL);

	g_assert_cmpuint(r->status, ==, 200);
	g_assert_nonnull(ms_test_response_get_string(r, "message"));
}

static guint
count_threads(GSubprocess *process)
{
	g_autofree char *path =
		g_strdup_printf("/proc/%s/task", g_subprocess_get_identifier(process));
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) tasks = g_dir_open(path, 0, &error);
	guint n = 0;

	g_assert_no_error(error);
	while (g_dir_read_name(tasks) != NULL)
		n++;
	return n;
}

/*
 * A stray SIGHUP (a reload meant for another unit, a closed terminal) is logged,
 * not fatal; and the service takes it, as it serves, on its one thread: glibc's
 * single-thread fast paths (malloc() without locks, write() without
 * cancellation) last only until a process starts a second thread, and GLib's
 * signal watch would start one
 */
static void
test_sighup_keeps_serving(void)
{
	g_autoptr(MsTestProcess) process =
		ms_test_process_spawn("microsoup-hello",
				      (const char *const[]){ "--idle-timeout=0", NULL });

	assert_hello(process->socket_path);
	g_subprocess_send_signal(process->process, SIGHUP);
	ms_test_process_wait_log_contains(process, "SIGHUP: nothing to reload", WAIT_MS);
	assert_hello(process->socket_path);
	g_assert_cmpuint(count_threads(process->process), ==, 1);
	ms_test_process_stop_cleanly(process);
}

/* the access line carries the id the client got back, whether made or kept */
static void
test_access_line_request_id(void)
{
	g_autoptr(MsTestProcess) process =
		ms_test_process_spawn("microsoup-hello",
				      (const char *const[]){ "--idle-timeout=0", NULL });
	g_autoptr(SoupSession) session = ms_test_session_new(process->socket_path);
	g_autoptr(MsTestResponse) made = ms_test_request(session, "GET", "/hello", NULL, NULL);
	g_autoptr(MsTestResponse) kept =
		ms_test_request(session,
				"GET",
				"/hello",
				(const char *const[]){ "X-Request-ID", "kept-by-hello.1", NULL },
				NULL);
	const char *made_id = ms_test_response_get_header(made, "X-Request-ID");
	g_autofree char *made_end = NULL;

	g_assert_cmpuint(made->status, ==, 200);
	g_assert_true(ms_request_id_is_sane(made_id));
	g_assert_cmpstr(ms_test_response_get_header(kept, "X-Request-ID"), ==, "kept-by-hello.1");
	made_end = g_strdup_printf("µs id=%s\n", made_id);
	ms_test_process_wait_log_contains(process, made_end, WAIT_MS);
	ms_test_process_wait_log_contains(process, "µs id=kept-by-hello.1\n", WAIT_MS);
	ms_test_process_stop_cleanly(process);
}

/* without systemd: the service binds --listen=unix:PATH itself */
static void
test_listen_without_systemd(void)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(MsTestProcess) process = g_new0(MsTestProcess, 1);
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-hello", NULL);
	g_autofree char *listen_option = NULL;
	g_autoptr(GError) error = NULL;

	process->dir = ms_test_dir_new();
	process->socket_path = g_build_filename(process->dir, "hello.sock", NULL);
	process->log_path = g_build_filename(process->dir, "stderr.log", NULL);
	listen_option = g_strconcat("--listen=unix:", process->socket_path, NULL);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_set_stderr_file_path(launcher, process->log_path);
	process->process = g_subprocess_launcher_spawn(launcher,
						       &error,
						       binary,
						       listen_option,
						       "--idle-timeout=0",
						       NULL);
	g_assert_no_error(error);
	/* "ready" is logged once it listens: the socket file comes earlier, at bind() */
	ms_test_process_wait_log_contains(process, " ready", WAIT_MS);
	assert_hello(process->socket_path);
	ms_test_process_stop_cleanly(process);
}

/* systemd's socket wins over --listen, and the log says the option was ignored */
static void
test_listen_ignored_under_systemd(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *unused = g_build_filename(dir, "unused.sock", NULL);
	g_autofree char *listen_option = g_strconcat("--listen=unix:", unused, NULL);
	g_autoptr(MsTestProcess) process = ms_test_process_spawn(
		"microsoup-hello",
		(const char *const[]){ listen_option, "--idle-timeout=0", NULL });
	g_autofree char *log = NULL;

	assert_hello(process->socket_path);
	ms_test_process_stop_cleanly(process);
	log = ms_test_process_get_log(process);
	g_assert_nonnull(strstr(log, "ignoring --listen"));
	g_assert_false(g_file_test(unused, G_FILE_TEST_EXISTS));
	g_rmdir(dir);
}

static void
test_negative_idle_timeout_refused(void)
{
	g_autoptr(MsTestProcess) process =
		ms_test_process_spawn("microsoup-hello",
				      (const char *const[]){ "--idle-timeout=-1", NULL });
	g_autofree char *log = NULL;

	g_assert_cmpint(ms_test_process_wait(process, WAIT_MS), ==, 1);
	log = ms_test_process_get_log(process);
	g_assert_nonnull(strstr(log, "--idle-timeout must be 0 or more seconds"));
}

/* tcp:localhost:PORT binds the loopback address */
static void
test_listen_tcp(void)
{
	g_autoptr(GSocket) probe = g_socket_new(G_SOCKET_FAMILY_IPV4,
						G_SOCKET_TYPE_STREAM,
						G_SOCKET_PROTOCOL_TCP,
						NULL);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(MsTestProcess) process = g_new0(MsTestProcess, 1);
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-hello", NULL);
	g_autofree char *listen_option = NULL;
	g_autoptr(SoupSession) session = NULL;
	g_autoptr(MsTestResponse) r = NULL;
	g_autoptr(GError) error = NULL;
	guint16 port;
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;

	/* a free port: bound, read, closed */
	g_assert_true(g_socket_bind(probe, any, TRUE, &error));
	bound = g_socket_get_local_address(probe, &error);
	g_assert_no_error(error);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_socket_close(probe, NULL);

	process->dir = ms_test_dir_new();
	process->socket_path = g_build_filename(process->dir, "none.sock", NULL);
	process->log_path = g_build_filename(process->dir, "stderr.log", NULL);
	listen_option = g_strdup_printf("--listen=tcp:localhost:%u", port);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_set_stderr_file_path(launcher, process->log_path);
	process->process = g_subprocess_launcher_spawn(launcher,
						       &error,
						       binary,
						       listen_option,
						       "--idle-timeout=0",
						       NULL);
	g_assert_no_error(error);
	{
		g_autofree char *log = ms_test_process_get_log(process);

		while (strstr(log, "ready") == NULL && g_get_monotonic_time() < deadline) {
			g_usleep(20 * G_TIME_SPAN_MILLISECOND);
			g_free(log);
			log = ms_test_process_get_log(process);
		}
	}
	session = ms_test_session_new_tcp(port);
	r = ms_test_request(session, "GET", "/hello?name=Ada", NULL, NULL);
	g_assert_cmpuint(r->status, ==, 200);
	ms_test_process_stop_cleanly(process);
}

/* a --listen that cannot be bound ends the start with the spec in the message */
static void
test_listen_unbindable(void)
{
	g_autoptr(GSubprocess) child = NULL;
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-hello", NULL);
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	/* a directory that does not exist: bind(2) fails */
	const char *listen_option = "--listen=unix:/nonexistent/microsoup/hello.sock";

	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	child = g_subprocess_launcher_spawn(launcher, &error, binary, listen_option, NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(child, NULL, NULL, NULL, &err, &error);
	g_assert_no_error(error);
	g_test_message("%s", err);
	g_assert_cmpint(g_subprocess_get_exit_status(child), ==, 1);
	g_assert_nonnull(strstr(err, listen_option));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/service/lifecycle/sighup-keeps-serving-one-thread",
			test_sighup_keeps_serving);
	g_test_add_func("/service/lifecycle/listen-without-systemd", test_listen_without_systemd);
	g_test_add_func("/service/lifecycle/listen-ignored-under-systemd",
			test_listen_ignored_under_systemd);
	g_test_add_func("/service/lifecycle/negative-idle-timeout-refused",
			test_negative_idle_timeout_refused);
	g_test_add_func("/service/lifecycle/access-line-request-id", test_access_line_request_id);
	g_test_add_func("/service/lifecycle/listen-tcp", test_listen_tcp);
	g_test_add_func("/service/lifecycle/listen-unbindable", test_listen_unbindable);
	return g_test_run();
}

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/ms-listen.h"

/*
 * End to end: the built microsoup-gateway and microsoup-hello, each handed an
 * already-bound listening socket as fd 3 the way systemd does (LISTEN_FDS,
 * LISTEN_PID), driven over real TCP.
 */

typedef struct {
	char *dir;
	char *config_path;
	GSubprocess *hello;
	GSubprocess *gateway;
	guint16 port;
	SoupSession *session;
} Fixture;

static char *
built_binary(const char *name)
{
	return g_build_filename(g_getenv("MICROSOUP_BUILD_ROOT"),
				"src",
				"cmd",
				name,
				NULL);
}

static GSubprocess *
spawn_activated(GSocket *socket, const char *const *argv)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	GSubprocess *process;

	/* LISTEN_PID must be the service's own pid: a shell that execs keeps its $$ */
	g_ptr_array_add(args, (gpointer) "/bin/sh");
	g_ptr_array_add(args, (gpointer) "-c");
	g_ptr_array_add(args, (gpointer) "LISTEN_PID=$$ exec \"$0\" \"$@\"");
	for (guint i = 0; argv[i] != NULL; i++)
		g_ptr_array_add(args, (gpointer)argv[i]);
	g_ptr_array_add(args, NULL);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(socket)), 3);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)args->pdata, &error);
	g_assert_no_error(error);
	return process;
}

static int
run_check_config(const char *path, char **err)
{
	g_autofree char *binary = built_binary("microsoup-gateway");
	g_autofree char *option = g_strconcat("--config=", path, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
							       G_SUBPROCESS_FLAGS_STDERR_PIPE,
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

static GSocket *
tcp_listen_any_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocket) socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);

	g_assert_no_error(error);
	g_socket_bind(socket, address, TRUE, &error);
	g_assert_no_error(error);
	g_socket_listen(socket, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&socket);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *hello_spec = NULL;
	g_autofree char *hello_binary = built_binary("microsoup-hello");
	g_autofree char *gateway_binary = built_binary("microsoup-gateway");
	g_autofree char *config_option = NULL;
	g_autofree char *config = NULL;
	g_autoptr(GSocket) hello_socket = NULL;
	g_autoptr(GSocket) front_socket = NULL;
	g_autoptr(GSocketAddress) local = NULL;

	fx->dir = g_dir_make_tmp("ms-gateway-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	hello_spec = g_strdup_printf("unix:%s/hello.sock", fx->dir);
	hello_socket = ms_listen_socket_open(hello_spec, &error);
	g_assert_no_error(error);
	front_socket = tcp_listen_any_port();
	local = g_socket_get_local_address(front_socket, &error);
	g_assert_no_error(error);
	fx->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));

	fx->config_path = g_build_filename(fx->dir, "gateway.conf", NULL);
	config = g_strdup_printf("[gateway]\nworkers = 2\n\n"
				 "[route hello]\nprefix = /api/hello\nupstream = unix:%s/hello.sock\n",
				 fx->dir);
	g_file_set_contents(fx->config_path, config, -1, &error);
	g_assert_no_error(error);
	config_option = g_strconcat("--config=", fx->config_path, NULL);

	fx->hello = spawn_activated(hello_socket,
				    (const char *const[]){ hello_binary, "--idle-timeout=0", NULL });
	fx->gateway = spawn_activated(
	    front_socket,
	    (const char *const[]){ gateway_binary, config_option, "--idle-timeout=0", NULL });
	fx->session = soup_session_new_with_options("timeout", 10, NULL);
}

static void
stop(GSubprocess *process)
{
	g_autoptr(GError) error = NULL;

	if (process == NULL)
		return;
	g_subprocess_send_signal(process, SIGTERM);
	g_subprocess_wait(process, NULL, &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_autofree char *hello_sock = g_build_filename(fx->dir, "hello.sock", NULL);

	g_object_unref(fx->session);
	stop(fx->gateway);
	stop(fx->hello);
	g_clear_object(&fx->gateway);
	g_clear_object(&fx->hello);
	g_unlink(fx->config_path);
	g_unlink(hello_sock);
	g_rmdir(fx->dir);
	g_free(fx->config_path);
	g_free(fx->dir);
}

typedef struct {
	GBytes *body;
	GError *error;
	gboolean done;
} Reply;

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Reply *reply = user_data;

	reply->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &reply->error);
	reply->done = TRUE;
}

static SoupMessage *
get(Fixture *fx, const char *path, char **body_text)
{
	g_autofree char *uri = g_strdup_printf("http://127.0.0.1:%u%s", fx->port, path);
	SoupMessage *msg = soup_message_new("GET", uri);
	Reply reply = { 0 };

	soup_session_send_and_read_async(fx->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
	while (!reply.done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_no_error(reply.error);
	if (body_text != NULL)
		*body_text = g_strndup(g_bytes_get_data(reply.body, NULL),
				       g_bytes_get_size(reply.body));
	g_bytes_unref(reply.body);
	return msg;
}

static void
test_e2e_hello(Fixture *fx, gconstpointer data)
{
	g_autofree char *body = NULL;
	g_autofree char *ready = NULL;
	g_autoptr(SoupMessage) msg = get(fx, "/api/hello?name=Ada", &body);
	g_autoptr(SoupMessage) readyz = NULL;

	g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
	g_assert_cmpstr(body, ==, "{\"message\":\"Hello, Ada!\"}");
	g_assert_nonnull(soup_message_headers_get_one(soup_message_get_response_headers(msg),
						      "X-Request-ID"));
	readyz = get(fx, "/readyz", &ready);
	g_assert_cmpuint(soup_message_get_status(readyz), ==, 200);
	g_assert_nonnull(strstr(ready, "\"state\":\"up\""));
	/* many requests over the kept-alive connection, spread over the workers */
	for (guint i = 0; i < 50; i++) {
		g_autoptr(SoupMessage) again = get(fx, "/api/hello", NULL);
		g_assert_cmpuint(soup_message_get_status(again), ==, 200);
	}
}

static void
test_e2e_reload(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* prove it serves, then hand it a broken file: it must keep serving */
	{
		g_autoptr(SoupMessage) msg = get(fx, "/api/hello", NULL);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
	}
	g_file_set_contents(fx->config_path, "[route hello]\nprefix = nope\n", -1, &error);
	g_assert_no_error(error);
	g_subprocess_send_signal(fx->gateway, SIGHUP);
	for (guint i = 0; i < 5; i++) {
		g_autoptr(SoupMessage) msg = get(fx, "/api/hello", NULL);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
	}
}

static void
test_e2e_check_config(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ms-gateway-check-XXXXXX", &error);
	g_autofree char *good = g_build_filename(dir, "good.conf", NULL);
	g_autofree char *bad = g_build_filename(dir, "bad.conf", NULL);
	g_autofree char *shipped = g_build_filename(g_getenv("MICROSOUP_SOURCE_ROOT"),
						    "data",
						    "gateway.conf",
						    NULL);
	g_autofree char *err = NULL;
	g_autofree char *expected = NULL;

	g_assert_no_error(error);
	g_file_set_contents(good, "[route a]\nprefix=/api/a\nupstream=unix:/a.sock\n", -1, NULL);
	g_file_set_contents(bad, "[route a]\nprefix=/api/a\n\nupstream=unix:/a.sock\ntimeout_ms=-1\n", -1, NULL);
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
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	g_test_add("/gateway/e2e/hello", Fixture, NULL, fixture_setup, test_e2e_hello, fixture_teardown);
	g_test_add("/gateway/e2e/reload", Fixture, NULL, fixture_setup, test_e2e_reload, fixture_teardown);
	g_test_add_func("/gateway/e2e/check-config", test_e2e_check_config);
	return g_test_run();
}

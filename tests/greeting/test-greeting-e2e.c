#include "config.h"

#include <glib/gstdio.h>

#include "greeting-test-util.h"

/*
 * The built microsoup-hello, -world and -greeting, each started the way systemd
 * starts a socket-activated service: with its already-listening socket as fd 3.
 */

typedef struct {
	char *dir;
	char *paths[3];
	GSocket *sockets[3];
	GSubprocess *processes[3];
	SoupSession *client;
} Fixture;

enum { HELLO, WORLD, GREETING };

static const char *const names[] = { "hello", "world", "greeting" };

static char *
binary_path(const char *name)
{
	g_autofree char *file = g_strconcat("microsoup-", name, NULL);
	const char *root = g_getenv("MICROSOUP_BUILD_ROOT");

	g_assert_nonnull(root);
	return g_build_filename(root, "src", "cmd", file, NULL);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("ms-greeting-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *file = g_strconcat(names[i], ".sock", NULL);

		fx->paths[i] = g_build_filename(fx->dir, file, NULL);
		/* the test holds the sockets, as systemd does: they outlive the services */
		fx->sockets[i] = greeting_test_listen_unix(fx->paths[i]);
	}
	fx->client = greeting_test_session_new(fx->paths[GREETING]);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	soup_session_abort(fx->client);
	g_clear_object(&fx->client);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (fx->processes[i] != NULL)
			greeting_test_stop(fx->processes[i]);
		g_clear_object(&fx->processes[i]);
		g_clear_object(&fx->sockets[i]);
		g_unlink(fx->paths[i]);
		g_free(fx->paths[i]);
	}
	g_rmdir(fx->dir);
	g_free(fx->dir);
}

static void
start(Fixture *fx, guint which, const char *idle_timeout)
{
	g_autofree char *binary = binary_path(names[which]);
	g_autofree char *idle = g_strconcat("--idle-timeout=", idle_timeout, NULL);
	g_autofree char *hello = g_strconcat("--hello=unix:", fx->paths[HELLO], NULL);
	g_autofree char *world = g_strconcat("--world=unix:", fx->paths[WORLD], NULL);
	const char *greeter_args[] = { idle, NULL };
	const char *greeting_args[] = { idle, hello, world, NULL };

	g_clear_object(&fx->processes[which]);
	fx->processes[which] =
	    greeting_test_spawn_activated(binary,
					  fx->sockets[which],
					  which == GREETING ? greeting_args : greeter_args);
}

static void
assert_complete(Fixture *fx, const char *language, const char *expected)
{
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(JsonObject) body = NULL;
	SoupMessageHeaders *headers;

	msg = greeting_test_get(fx->client, "/greeting?name=Ada", language, "e2e-req-1", &body);
	g_assert_cmpuint(soup_message_get_status(msg), ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, expected);
	g_assert_true(json_object_get_boolean_member(body, "complete"));
	headers = soup_message_get_response_headers(msg);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "X-Request-ID"), ==, "e2e-req-1");
}

static void
test_activated(Fixture *fx, gconstpointer data)
{
	start(fx, HELLO, "30");
	start(fx, WORLD, "30");
	start(fx, GREETING, "30");
	assert_complete(fx, NULL, "Hello, Ada! World!");
	assert_complete(fx, "th", "สวัสดี, Ada! ชาวโลก!");
}

static void
test_backends_idle_and_return(Fixture *fx, gconstpointer data)
{
	/*
	 * the greeting's pooled connections must not keep hello and world running:
	 * they exit when idle while the greeting stays; systemd starts them again on
	 * the next connection (here the test does, on the same sockets) and the
	 * greeting's pool finds them there
	 */
	start(fx, HELLO, "1");
	start(fx, WORLD, "1");
	start(fx, GREETING, "2");
	assert_complete(fx, NULL, "Hello, Ada! World!");
	g_assert_true(greeting_test_wait_exit(fx->processes[HELLO], 20));
	g_assert_true(greeting_test_wait_exit(fx->processes[WORLD], 20));
	g_assert_cmpint(g_subprocess_get_exit_status(fx->processes[HELLO]), ==, 0);
	g_assert_cmpint(g_subprocess_get_exit_status(fx->processes[WORLD]), ==, 0);

	start(fx, HELLO, "1");
	start(fx, WORLD, "1");
	assert_complete(fx, NULL, "Hello, Ada! World!");

	/* and the greeting itself goes once its client has gone */
	soup_session_abort(fx->client);
	g_assert_true(greeting_test_wait_exit(fx->processes[GREETING], 20));
	g_assert_cmpint(g_subprocess_get_exit_status(fx->processes[GREETING]), ==, 0);
}

static void
test_bad_options(void)
{
	g_autofree char *binary = binary_path("greeting");
	const char *const bad[][2] = {
		{ "--hello=tcp:localhost:80", "--hello" },
		{ "--world=unix:", "--world" },
		{ "--part-timeout-ms=-1", "--part-timeout-ms" },
	};

	/* a wrong option stops the service before it serves, saying which one */
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GSubprocess) process = NULL;
		g_autofree char *err = NULL;
		g_autoptr(GError) error = NULL;

		process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					       G_SUBPROCESS_FLAGS_STDERR_PIPE,
					   &error,
					   binary,
					   bad[i][0],
					   NULL);
		g_assert_no_error(error);
		g_assert_true(
		    g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error));
		g_assert_no_error(error);
		g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 1);
		g_assert_nonnull(strstr(err, bad[i][1]));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add("/greeting-e2e/activated",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_activated,
		   fixture_teardown);
	g_test_add("/greeting-e2e/backends-idle-and-return",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_backends_idle_and_return,
		   fixture_teardown);
	g_test_add_func("/greeting-e2e/bad-options", test_bad_options);
	return g_test_run();
}

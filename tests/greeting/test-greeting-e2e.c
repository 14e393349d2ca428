/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "ms-test-utils.h"

/*
 * The built microsoup-hello, -world and -greeting, each started the way systemd
 * starts a socket-activated service: with its already-listening socket as fd 3.
 */

enum { HELLO, WORLD, GREETING, N_SERVICES };

static const char *const names[] = { "hello", "world", "greeting" };

typedef struct {
	char *dir;
	char *paths[N_SERVICES];
	MsTestProcess *processes[N_SERVICES];
	SoupSession *client;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("ms-greeting-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	for (guint i = 0; i < N_SERVICES; i++) {
		g_autofree char *file = g_strconcat(names[i], ".sock", NULL);
		fx->paths[i] = g_build_filename(fx->dir, file, NULL);
	}
	fx->client = ms_test_session_new(fx->paths[GREETING]);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	soup_session_abort(fx->client);
	g_clear_object(&fx->client);
	for (guint i = 0; i < N_SERVICES; i++) {
		g_clear_pointer(&fx->processes[i], ms_test_process_free);
		g_free(fx->paths[i]);
	}
	g_rmdir(fx->dir);
	g_free(fx->dir);
}

static void
start(Fixture *fx, guint which, const char *idle_timeout)
{
	g_autofree char *binary = g_strconcat("microsoup-", names[which], NULL);
	g_autofree char *idle = g_strconcat("--idle-timeout=", idle_timeout, NULL);
	g_autofree char *hello = g_strconcat("--hello=unix:", fx->paths[HELLO], NULL);
	g_autofree char *world = g_strconcat("--world=unix:", fx->paths[WORLD], NULL);
	const char *greeter_args[] = { idle, NULL };
	const char *greeting_args[] = { idle, hello, world, NULL };

	/* as systemd would after an exit: the old socket goes, a new one is passed */
	g_clear_pointer(&fx->processes[which], ms_test_process_free);
	fx->processes[which] =
		ms_test_process_spawn_at(binary,
					 fx->paths[which],
					 which == GREETING ? greeting_args : greeter_args);
}

/* @which exits within 20 s, cleanly and because it was idle, not for another reason */
static void
assert_idle_exit(Fixture *fx, guint which, guint idle_timeout)
{
	int status = ms_test_process_wait(fx->processes[which], 20000);
	g_autofree char *log = ms_test_process_get_log(fx->processes[which]);
	g_autofree char *idle = g_strdup_printf("]: idle for %u s, exiting;", idle_timeout);

	g_test_message("%s: %s", names[which], log);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(log, idle));
	g_assert_nonnull(strstr(log, " (idle)\n"));
}

static void
assert_complete(Fixture *fx, const char *language, const char *expected)
{
	const char *headers[] = { "X-Request-ID",
				  "e2e-req-1",
				  language != NULL ? "Accept-Language" : NULL,
				  language,
				  NULL };
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	response = ms_test_request(fx->client, "GET", "/greeting?name=Ada", headers, NULL);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(ms_test_response_get_string(response, "message"), ==, expected);
	body = json_node_get_object(response->json);
	g_assert_true(json_object_get_boolean_member(body, "complete"));
	g_assert_cmpstr(ms_test_response_get_header(response, "X-Request-ID"), ==, "e2e-req-1");
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
	 * the greeting's pooled connections close after 5 idle seconds, so hello and
	 * world (idle timeout 1 s) exit while the greeting stays; systemd starts them
	 * again on the next connection (here the test does, on the same paths) and
	 * the greeting's pool finds them there
	 */
	start(fx, HELLO, "1");
	start(fx, WORLD, "1");
	start(fx, GREETING, "30");
	assert_complete(fx, NULL, "Hello, Ada! World!");
	assert_idle_exit(fx, HELLO, 1);
	assert_idle_exit(fx, WORLD, 1);

	start(fx, HELLO, "1");
	start(fx, WORLD, "1");
	assert_complete(fx, NULL, "Hello, Ada! World!");
}

static void
test_greeting_idles(Fixture *fx, gconstpointer data)
{
	start(fx, HELLO, "30");
	start(fx, WORLD, "30");
	start(fx, GREETING, "1");
	assert_complete(fx, NULL, "Hello, Ada! World!");
	/* its own client gone, the greeting exits though its upstream pool is open */
	soup_session_abort(fx->client);
	assert_idle_exit(fx, GREETING, 1);
}

static void
test_bad_options(void)
{
	g_autofree char *binary = ms_test_build_path("src", "cmd", "microsoup-greeting", NULL);
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
	ms_test_init(&argc, &argv);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/greeting-e2e/activated", test_activated);
	ADD("/greeting-e2e/backends-idle-and-return", test_backends_idle_and_return);
	ADD("/greeting-e2e/greeting-idles", test_greeting_idles);
#undef ADD
	g_test_add_func("/greeting-e2e/bad-options", test_bad_options);
	return g_test_run();
}

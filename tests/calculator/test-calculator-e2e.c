#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "ms-calc-spawn.h"
#include "ms-calc-test-client.h"

/* the built microsoup-calculator, started with a socket passed as systemd does */

typedef struct {
	char *dir;
	char *socket_path;
	char *database;
	char *binary;
	GSocket *listener;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const char *build_root = g_getenv("MICROSOUP_BUILD_ROOT");

	g_assert_nonnull(build_root);
	f->binary = g_build_filename(build_root, "src", "cmd", "microsoup-calculator", NULL);
	f->dir = g_dir_make_tmp("ms-calc-e2e-XXXXXX", &error);
	g_assert_no_error(error);
	f->socket_path = g_build_filename(f->dir, "calculator.sock", NULL);
	f->database = g_build_filename(f->dir, "calculator.db", NULL);
	f->listener = ms_calc_spawn_listen_unix(f->socket_path);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
	const char *name;

	g_clear_object(&f->listener);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(f->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->socket_path);
	g_free(f->database);
	g_free(f->binary);
}

static GSubprocess *
start(Fixture *f)
{
	g_autofree char *database_arg = g_strconcat("--database=", f->database, NULL);
	const char *args[] = { database_arg, "--idle-timeout=0", NULL };

	return ms_calc_spawn_activated(f->binary, f->listener, args, NULL);
}

static MsCalcTestResponse *
request(SoupSession *session, const char *method, const char *path, const char *body)
{
	const char *headers[] = { "X-Microsoup-User", "ada", NULL };

	return ms_calc_test_request(session,
				    method,
				    path,
				    body != NULL ? "application/json" : NULL,
				    body,
				    -1,
				    headers);
}

static void
test_serve_and_stop(Fixture *f, gconstpointer data)
{
	g_autoptr(GSubprocess) process = start(f);
	g_autoptr(SoupSession) session = ms_calc_test_session_new(f->socket_path);
	g_autoptr(MsCalcTestResponse) add =
		request(session, "POST", "/calc/add", "{\"a\":1,\"b\":2}");
	g_autoptr(MsCalcTestResponse) div =
		request(session, "POST", "/calc/div", "{\"a\":1,\"b\":0}");
	g_autoptr(MsCalcTestResponse) history = request(session, "GET", "/calc/history", NULL);
	g_autofree char *add_text = ms_calc_test_response_get_text(add);

	g_assert_cmpuint(add->status, ==, 200);
	g_assert_cmpstr(add_text, ==, "{\"operation\":\"add\",\"a\":1,\"b\":2,\"result\":3}");
	g_assert_nonnull(soup_message_headers_get_one(add->headers, "X-Request-ID"));
	g_assert_cmpuint(div->status, ==, 422);
	g_assert_cmpstr(ms_calc_test_response_get_type(div), ==, "division_by_zero");
	g_assert_nonnull(json_object_get_string_member(div->json, "request_id"));
	g_assert_cmpuint(history->status, ==, 200);
	g_assert_cmpuint(
		json_array_get_length(json_object_get_array_member(history->json, "items")),
		==,
		1);

	g_clear_object(&session);
	g_subprocess_send_signal(process, SIGTERM);
	g_assert_cmpint(ms_calc_spawn_wait(process), ==, 0);
	g_assert_true(g_file_test(f->database, G_FILE_TEST_EXISTS));
}

static void
test_history_survives_kill(Fixture *f, gconstpointer data)
{
	g_autoptr(GSubprocess) first = start(f);
	g_autoptr(GSubprocess) second = NULL;
	g_autoptr(SoupSession) session = ms_calc_test_session_new(f->socket_path);
	g_autoptr(SoupSession) session2 = NULL;
	g_autoptr(MsCalcTestResponse) eval = NULL;
	g_autoptr(MsCalcTestResponse) history = NULL;
	JsonArray *items;
	JsonObject *item;

	eval = request(session, "POST", "/calc/eval", "{\"expression\":\"6*7\"}");
	g_assert_cmpuint(eval->status, ==, 200);
	/* answered means committed: kill it before it can do anything more */
	g_subprocess_force_exit(first);
	g_assert_cmpint(ms_calc_spawn_wait(first), ==, 128 + SIGKILL);
	g_clear_object(&session);

	second = start(f);
	session2 = ms_calc_test_session_new(f->socket_path);
	history = request(session2, "GET", "/calc/history", NULL);
	g_assert_cmpuint(history->status, ==, 200);
	items = json_object_get_array_member(history->json, "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	item = json_array_get_object_element(items, 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "6*7");
	g_assert_cmpint(json_object_get_int_member(item, "result"), ==, 42);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "ada");
	g_clear_object(&session2);
	g_subprocess_send_signal(second, SIGTERM);
	g_assert_cmpint(ms_calc_spawn_wait(second), ==, 0);
}

static void
test_state_directory(Fixture *f, gconstpointer data)
{
	g_autofree char *state = g_strconcat("STATE_DIRECTORY=", f->dir, NULL);
	const char *env[] = { state, NULL };
	const char *args[] = { "--idle-timeout=0", NULL };
	g_autoptr(GSubprocess) process = ms_calc_spawn_activated(f->binary, f->listener, args, env);
	g_autoptr(SoupSession) session = ms_calc_test_session_new(f->socket_path);
	g_autoptr(MsCalcTestResponse) eval =
		request(session, "POST", "/calc/eval", "{\"expression\":\"1\"}");

	g_assert_cmpuint(eval->status, ==, 200);
	g_assert_true(g_file_test(f->database, G_FILE_TEST_EXISTS));
	g_clear_object(&session);
	g_subprocess_send_signal(process, SIGTERM);
	g_assert_cmpint(ms_calc_spawn_wait(process), ==, 0);
}

static void
test_no_database(Fixture *f, gconstpointer data)
{
	const char *args[] = { "--idle-timeout=0", NULL };
	const char *env[] = { "STATE_DIRECTORY=", NULL };
	g_autoptr(GSubprocess) process = ms_calc_spawn_activated(f->binary, f->listener, args, env);
	g_autoptr(GDataInputStream) err =
		g_data_input_stream_new(g_subprocess_get_stderr_pipe(process));
	g_autofree char *line = NULL;

	g_assert_cmpint(ms_calc_spawn_wait(process), ==, 1);
	line = g_data_input_stream_read_line_utf8(err, NULL, NULL, NULL);
	g_assert_nonnull(line);
	g_assert_nonnull(strstr(line, "--database=PATH"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/calculator-e2e/serve-and-stop", test_serve_and_stop);
	ADD("/calculator-e2e/history-survives-kill", test_history_survives_kill);
	ADD("/calculator-e2e/state-directory", test_state_directory);
	ADD("/calculator-e2e/no-database", test_no_database);
#undef ADD
	return g_test_run();
}

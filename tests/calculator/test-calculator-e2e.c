/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>

#include "ms-calc-test-server.h"
#include "common/ms-request-id.h"
#include "ms-test-utils.h"

/* the built microsoup-calculator, started with a socket passed as systemd does */

typedef struct {
	char *dir;
	char *socket_path;
	char *database;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = ms_test_dir_new();
	f->socket_path = g_build_filename(f->dir, "calculator.sock", NULL);
	f->database = g_build_filename(f->dir, "calculator.db", NULL);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	ms_test_dir_remove(f->dir);
	g_free(f->dir);
	g_free(f->socket_path);
	g_free(f->database);
}

/* @env: (nullable): NAME=VALUE pairs, e.g. STATE_DIRECTORY as systemd sets it */
static MsTestProcess *
start(Fixture *f, const char *const *args, const char *const *env)
{
	return ms_test_process_spawn_full("microsoup-calculator", f->socket_path, args, env);
}

static MsTestProcess *
start_with_database(Fixture *f)
{
	g_autofree char *database_arg = g_strconcat("--database=", f->database, NULL);
	const char *args[] = { database_arg, "--idle-timeout=0", NULL };

	return start(f, args, NULL);
}

/* ends @process with @signal and returns how it ended */
static int
stop(MsTestProcess *process, int signal)
{
	g_subprocess_send_signal(process->process, signal);
	return ms_test_process_wait(process, 20000);
}

static MsTestResponse *
request(SoupSession *session, const char *method, const char *path, const char *body)
{
	const char *headers[] = { "X-Microsoup-User", "ada", NULL };

	return ms_test_request_typed(session,
				     method,
				     path,
				     headers,
				     body != NULL ? "application/json" : NULL,
				     body);
}

static void
test_serve_and_stop(Fixture *f, gconstpointer data)
{
	g_autoptr(MsTestProcess) process = start_with_database(f);
	g_autoptr(SoupSession) session = ms_test_session_new(f->socket_path);
	g_autoptr(MsTestResponse) add = request(session, "POST", "/calc/add", "{\"a\":1,\"b\":2}");
	g_autoptr(MsTestResponse) div = request(session, "POST", "/calc/div", "{\"a\":1,\"b\":0}");
	g_autoptr(MsTestResponse) history = request(session, "GET", "/calc/history", NULL);
	g_autofree char *add_text = ms_test_response_get_text(add);

	g_assert_cmpuint(add->status, ==, 200);
	g_assert_cmpstr(add_text, ==, "{\"operation\":\"add\",\"a\":1,\"b\":2,\"result\":3}");
	g_assert_nonnull(soup_message_headers_get_one(add->headers, "X-Request-ID"));
	g_assert_cmpuint(div->status, ==, 422);
	g_assert_cmpstr(ms_calc_test_problem_type(div), ==, "division_by_zero");
	g_assert_nonnull(
		json_object_get_string_member(ms_test_response_get_object(div), "request_id"));
	g_assert_cmpuint(history->status, ==, 200);
	g_assert_cmpuint(json_array_get_length(
				 json_object_get_array_member(ms_test_response_get_object(history),
							      "items")),
			 ==,
			 1);

	g_clear_object(&session);
	g_assert_cmpint(stop(process, SIGTERM), ==, 0);
	g_assert_true(g_file_test(f->database, G_FILE_TEST_EXISTS));
}

static void
test_history_survives_kill(Fixture *f, gconstpointer data)
{
	g_autoptr(MsTestProcess) first = start_with_database(f);
	g_autoptr(MsTestProcess) second = NULL;
	g_autoptr(SoupSession) session = ms_test_session_new(f->socket_path);
	g_autoptr(SoupSession) session2 = NULL;
	g_autoptr(MsTestResponse) eval = NULL;
	g_autoptr(MsTestResponse) history = NULL;
	JsonArray *items;
	JsonObject *item;

	eval = request(session, "POST", "/calc/eval", "{\"expression\":\"6*7\"}");
	g_assert_cmpuint(eval->status, ==, 200);
	/* answered means committed: kill it before it can do anything more */
	g_assert_cmpint(stop(first, SIGKILL), ==, 128 + SIGKILL);
	g_clear_object(&session);

	/* as systemd would after an exit: the old socket goes, a new one is passed */
	g_clear_pointer(&first, ms_test_process_free);
	second = start_with_database(f);
	session2 = ms_test_session_new(f->socket_path);
	history = request(session2, "GET", "/calc/history", NULL);
	g_assert_cmpuint(history->status, ==, 200);
	items = json_object_get_array_member(ms_test_response_get_object(history), "items");
	g_assert_cmpuint(json_array_get_length(items), ==, 1);
	item = json_array_get_object_element(items, 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "6*7");
	g_assert_cmpint(json_object_get_int_member(item, "result"), ==, 42);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "ada");
	g_clear_object(&session2);
	g_assert_cmpint(stop(second, SIGTERM), ==, 0);
}

static void
test_state_directory(Fixture *f, gconstpointer data)
{
	g_autofree char *state = g_strconcat("STATE_DIRECTORY=", f->dir, NULL);
	const char *env[] = { state, NULL };
	const char *args[] = { "--idle-timeout=0", NULL };
	g_autoptr(MsTestProcess) process = start(f, args, env);
	g_autoptr(SoupSession) session = ms_test_session_new(f->socket_path);
	g_autoptr(MsTestResponse) eval =
		request(session, "POST", "/calc/eval", "{\"expression\":\"1\"}");

	g_assert_cmpuint(eval->status, ==, 200);
	g_assert_true(g_file_test(f->database, G_FILE_TEST_EXISTS));
	g_clear_object(&session);
	g_assert_cmpint(stop(process, SIGTERM), ==, 0);
}

/*
 * A body refused from its Content-Length, and a chunked one that grows past the
 * limit, are answered without their handler: the answers still carry the
 * request's id, and the log still has their lines.
 */
static void
test_refused_body_logged(Fixture *f, gconstpointer data)
{
	g_autoptr(MsTestProcess) process = start_with_database(f);
	g_autoptr(SoupSession) session = ms_test_session_new(f->socket_path);
	g_autofree char *large = g_strnfill(64 * 1024 + 1, ' ');
	g_autoptr(MsTestResponse) refused = request(session, "POST", "/calc/add", large);
	const char *id = soup_message_headers_get_one(refused->headers, "X-Request-ID");
	const char *logged = "POST /calc/add 413 ";
	g_autofree char *log = NULL;
	g_autoptr(GString) chunked = g_string_new("POST /calc/sub HTTP/1.1\r\nHost: x\r\n"
						  "Content-Type: application/json\r\n"
						  "Transfer-Encoding: chunked\r\n"
						  "Connection: close\r\n\r\n");
	g_autofree char *chunked_answer = NULL;
	g_autofree char *chunked_id = NULL;
	const char *chunked_logged = "POST /calc/sub 413 ";

	g_assert_cmpuint(refused->status, ==, 413);
	g_assert_true(ms_request_id_is_sane(id));
	for (guint i = 0; i < 17; i++)
		g_string_append_printf(chunked, "1000\r\n%4096s\r\n", "");
	g_string_append(chunked, "0\r\n\r\n");
	chunked_answer = ms_test_exchange_raw(f->socket_path, chunked->str);
	g_assert_true(g_str_has_prefix(chunked_answer, "HTTP/1.1 413 "));
	chunked_id = ms_test_raw_header(chunked_answer, "X-Request-ID");
	g_assert_nonnull(chunked_id);
	g_assert_true(ms_request_id_is_sane(chunked_id));
	g_clear_object(&session);
	g_assert_cmpint(stop(process, SIGTERM), ==, 0);
	log = ms_test_process_get_log(process);
	g_assert_nonnull(strstr(log, logged));
	g_assert_nonnull(strstr(strstr(log, logged), id));
	g_assert_nonnull(strstr(log, chunked_logged));
	g_assert_nonnull(strstr(strstr(log, chunked_logged), chunked_id));
}

static void
test_no_database(Fixture *f, gconstpointer data)
{
	const char *args[] = { "--idle-timeout=0", NULL };
	const char *env[] = { "STATE_DIRECTORY=", NULL };
	g_autoptr(MsTestProcess) process = start(f, args, env);
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_cmpint(ms_test_process_wait(process, 20000), ==, 1);
	log = ms_test_process_get_log(process);
	lines = g_strsplit(log, "\n", 2);
	g_assert_nonnull(lines[0]);
	g_assert_nonnull(strstr(lines[0], "--database=PATH"));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/calculator-e2e/serve-and-stop", test_serve_and_stop);
	ADD("/calculator-e2e/history-survives-kill", test_history_survives_kill);
	ADD("/calculator-e2e/state-directory", test_state_directory);
	ADD("/calculator-e2e/refused-body-logged", test_refused_body_logged);
	ADD("/calculator-e2e/no-database", test_no_database);
#undef ADD
	return g_test_run();
}

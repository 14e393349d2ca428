/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-test-utils.h"

/*
 * GET /healthz answered by every built service itself (what a container's probe
 * asks): 200 {"status":"ok"} for GET, headers only for HEAD, 405 with Allow for
 * anything else, 404 below it. Each binary is started the way systemd starts it.
 */

static const char *const services[] = { "hello", "world", "goodbye", "greeting", "calculator" };

static void
test_every_service(gconstpointer data)
{
	const char *name = data;
	g_autofree char *binary = g_strconcat("microsoup-", name, NULL);
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *database = g_build_filename(dir, "calculator.db", NULL);
	g_autofree char *database_option = g_strconcat("--database=", database, NULL);
	const char *const args[] = { "--idle-timeout=0",
				     g_str_equal(name, "calculator") ? database_option : NULL,
				     NULL };
	g_autoptr(MsTestProcess) process = ms_test_process_spawn(binary, args);
	g_autoptr(SoupSession) session = ms_test_session_new(process->socket_path);
	g_autoptr(MsTestResponse) get = ms_test_request(session, "GET", "/healthz", NULL, NULL);
	g_autoptr(MsTestResponse) head = ms_test_request(session, "HEAD", "/healthz", NULL, NULL);
	g_autoptr(MsTestResponse) post = ms_test_request(session, "POST", "/healthz", NULL, "x");
	g_autoptr(MsTestResponse) below =
		ms_test_request(session, "GET", "/healthz/deeper", NULL, NULL);
	g_autofree char *text = ms_test_response_get_text(get);

	g_assert_cmpuint(get->status, ==, 200);
	g_assert_cmpstr(text, ==, "{\"status\":\"ok\"}");
	g_assert_cmpstr(ms_test_response_get_header(get, "Content-Type"),
			==,
			"application/json; charset=utf-8");
	/* a probe's answer is a request like any other: it has an id */
	g_assert_nonnull(ms_test_response_get_header(get, "X-Request-ID"));
	g_assert_cmpuint(head->status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(head->body), ==, 0);
	ms_test_assert_problem(post, 405, "method_not_allowed");
	g_assert_cmpstr(ms_test_response_get_header(post, "Allow"), ==, "GET, HEAD");
	ms_test_assert_problem(below, 404, "not_found");
	ms_test_process_stop_cleanly(process);
	ms_test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	for (guint i = 0; i < G_N_ELEMENTS(services); i++) {
		g_autofree char *path = g_strconcat("/healthz/", services[i], NULL);

		g_test_add_data_func(path, services[i], test_every_service);
	}
	return g_test_run();
}

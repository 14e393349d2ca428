/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-calc-test-server.h"

#include "adapters/ms-sqlite-history-store.h"
#include "handlers/ms-calculator-handler.h"
#include "ms-fake-history-store.h"

/* the calculator handler in-process on a real Unix socket, and what its tests assert */

/**
 * ms_calc_test_fixture_setup:
 * @data: "sqlite" for the real SQLite store, else the in-memory fake
 */
void
ms_calc_test_fixture_setup(MsCalcTestFixture *f, gconstpointer data)
{
	f->dir = ms_test_dir_new();
	/* test data "sqlite": the real adapter, with a short busy timeout */
	if (g_strcmp0(data, "sqlite") == 0) {
		g_autoptr(GError) error = NULL;
		g_autofree char *db = g_build_filename(f->dir, "calculator.db", NULL);

		f->store = ms_sqlite_history_store_new(db, 50, &error);
		g_assert_no_error(error);
	} else {
		f->store = ms_fake_history_store_new();
	}
	f->service = ms_calculator_service_new(f->store);
	f->server = ms_test_server_new();
	ms_calculator_handler_register(f->server->server, f->service);
	f->session = ms_test_session_new(f->server->socket_path);
}

void
ms_calc_test_fixture_teardown(MsCalcTestFixture *f, gconstpointer data)
{
	g_clear_object(&f->session);
	g_clear_pointer(&f->server, ms_test_server_free);
	g_clear_object(&f->service);
	g_clear_object(&f->store);
	ms_test_dir_remove(f->dir);
	g_free(f->dir);
}

MsTestResponse *
ms_calc_test_post(MsCalcTestFixture *f, const char *path, const char *body)
{
	return ms_test_request_typed(f->session, "POST", path, NULL, "application/json", body);
}

MsTestResponse *
ms_calc_test_request_as(MsCalcTestFixture *f,
			const char *method,
			const char *path,
			const char *body,
			const char *user)
{
	const char *headers[] = { "X-Microsoup-User", user, NULL };

	return ms_test_request_typed(f->session,
				     method,
				     path,
				     user != NULL ? headers : NULL,
				     body != NULL ? "application/json; charset=utf-8" : NULL,
				     body);
}

void
ms_calc_test_assert_body(MsTestResponse *r, guint status, const char *text)
{
	g_autofree char *body = ms_test_response_get_text(r);

	g_assert_cmpuint(r->status, ==, status);
	g_assert_cmpstr(soup_message_headers_get_content_type(r->headers, NULL),
			==,
			"application/json");
	g_assert_cmpstr(body, ==, text);
}

/* asserts a problem, and that its detail mentions @in_detail */
void
ms_calc_test_assert_problem(MsTestResponse *r,
			    guint status,
			    const char *type,
			    const char *in_detail)
{
	g_autofree char *body = ms_test_response_get_text(r);
	JsonObject *problem;

	/* the whole body first: which problem came instead says what went wrong */
	if (r->status != status || g_strcmp0(ms_calc_test_problem_type(r), type) != 0)
		g_error("expected %u %s, got %u %s", status, type, r->status, body);
	ms_test_assert_problem(r, status, type);
	problem = ms_test_response_get_object(r);
	g_assert_true(json_object_has_member(problem, "instance"));
	if (in_detail != NULL &&
	    strstr(json_object_get_string_member(problem, "detail"), in_detail) == NULL)
		g_error("detail of %s does not say “%s”", body, in_detail);
}

/* Returns: the short problem type, e.g. "division_by_zero", or NULL */
const char *
ms_calc_test_problem_type(MsTestResponse *r)
{
	const char *type;

	if (r->json == NULL || !JSON_NODE_HOLDS_OBJECT(r->json))
		return NULL;
	type = ms_test_response_get_string(r, "type");
	if (type == NULL || !g_str_has_prefix(type, "urn:microsoup:problem:"))
		return type;
	return type + strlen("urn:microsoup:problem:");
}

JsonArray *
ms_calc_test_items(MsTestResponse *r)
{
	g_assert_cmpuint(r->status, ==, 200);
	return json_object_get_array_member(ms_test_response_get_object(r), "items");
}

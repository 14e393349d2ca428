/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sqlite3.h>

#include "common/ms-log.h"
#include "ms-calc-test-server.h"
#include "ms-fake-history-store.h"

/* GET and DELETE /calc/history, the caller's identity and an unavailable store */

static void
test_history(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) page1 = NULL;
	g_autoptr(MsTestResponse) page2 = NULL;
	g_autoptr(MsTestResponse) bob = NULL;
	g_autoptr(MsTestResponse) anonymous = NULL;
	g_autoptr(MsTestResponse) deleted = NULL;
	g_autoptr(MsTestResponse) after = NULL;
	g_autoptr(GDateTime) created = NULL;
	g_autofree char *page2_path = NULL;
	JsonObject *item;

	for (int i = 1; i <= 3; i++) {
		g_autofree char *body = g_strdup_printf("{\"expression\":\"%d*2\"}", i);
		g_autoptr(MsTestResponse) r =
			ms_calc_test_request_as(f, "POST", "/calc/eval", body, "ada");
		g_assert_cmpuint(r->status, ==, 200);
	}
	{
		g_autoptr(MsTestResponse) r =
			ms_calc_test_request_as(f, "POST", "/calc/add", "{\"a\":1,\"b\":2}", "bob");
		g_autoptr(MsTestResponse) r2 =
			ms_calc_test_post(f, "/calc/add", "{\"a\":5,\"b\":5}");
		g_assert_cmpuint(r->status, ==, 200);
		g_assert_cmpuint(r2->status, ==, 200);
	}

	page1 = ms_calc_test_request_as(f, "GET", "/calc/history?limit=2", NULL, "ada");
	g_assert_cmpuint(json_array_get_length(ms_calc_test_items(page1)), ==, 2);
	item = json_array_get_object_element(ms_calc_test_items(page1), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "3*2");
	g_assert_cmpint(json_object_get_int_member(item, "result"), ==, 6);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "ada");
	created = g_date_time_new_from_iso8601(json_object_get_string_member(item, "created_at"),
					       NULL);
	g_assert_nonnull(created);
	g_assert_cmpint(g_date_time_get_year(created), >=, 2024);
	g_assert_false(
		json_object_get_null_member(ms_test_response_get_object(page1), "next_before"));

	page2_path = g_strdup_printf(
		"/calc/history?limit=2&before=%" G_GINT64_FORMAT,
		json_object_get_int_member(ms_test_response_get_object(page1), "next_before"));
	page2 = ms_calc_test_request_as(f, "GET", page2_path, NULL, "ada");
	g_assert_cmpuint(json_array_get_length(ms_calc_test_items(page2)), ==, 1);
	item = json_array_get_object_element(ms_calc_test_items(page2), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "1*2");
	g_assert_true(
		json_object_get_null_member(ms_test_response_get_object(page2), "next_before"));

	bob = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, "bob");
	g_assert_cmpuint(json_array_get_length(ms_calc_test_items(bob)), ==, 1);
	item = json_array_get_object_element(ms_calc_test_items(bob), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "1 + 2");
	anonymous = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, NULL);
	item = json_array_get_object_element(ms_calc_test_items(anonymous), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "anonymous");

	deleted = ms_calc_test_request_as(f, "DELETE", "/calc/history", NULL, "ada");
	ms_calc_test_assert_body(deleted, 200, "{\"deleted\":3}");
	after = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, "ada");
	ms_calc_test_assert_body(after, 200, "{\"items\":[],\"next_before\":null}");
}

static void
test_history_damaged_time(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) r = NULL;
	g_autoptr(MsTestResponse) delete_query = NULL;

	/* year 292277: not representable in RFC 3339, so null rather than a crash */
	g_assert_true(ms_history_store_append(f->store, "ada", "1", 1, G_MAXINT64 / 2, NULL, NULL));
	r = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, "ada");
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_true(
		json_object_get_null_member(json_array_get_object_element(ms_calc_test_items(r), 0),
					    "created_at"));
	delete_query = ms_calc_test_request_as(f, "DELETE", "/calc/history?all=1", NULL, "ada");
	ms_calc_test_assert_problem(delete_query, 400, "unknown_parameter", "“all”");
}

static void
test_history_query(MsCalcTestFixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"/calc/history?limit=0",  "/calc/history?limit=101", "/calc/history?limit=abc",
		"/calc/history?limit=-1", "/calc/history?before=0",  "/calc/history?before=x",
		"/calc/history?limit=",   "/calc/history?limit=1e1",
	};
	g_autoptr(MsTestResponse) unknown =
		ms_calc_test_request_as(f, "GET", "/calc/history?page=2", NULL, NULL);
	g_autoptr(MsTestResponse) max =
		ms_calc_test_request_as(f, "GET", "/calc/history?limit=100", NULL, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(MsTestResponse) r = ms_calc_test_request_as(f, "GET", bad[i], NULL, NULL);
		ms_calc_test_assert_problem(r, 400, "invalid_parameter", NULL);
	}
	ms_calc_test_assert_problem(unknown, 400, "unknown_parameter", "“page”");
	g_assert_cmpuint(max->status, ==, 200);
}

static void
test_invalid_user(MsCalcTestFixture *f, gconstpointer data)
{
	g_autofree char *long_user = g_strnfill(65, 'u');
	g_autoptr(MsTestResponse) r =
		ms_calc_test_request_as(f, "GET", "/calc/history", NULL, long_user);

	ms_calc_test_assert_problem(r, 400, "invalid_user", "X-Microsoup-User");
}

static void
test_store_unavailable(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) busy = NULL;
	g_autoptr(MsTestResponse) full = NULL;
	g_autoptr(MsTestResponse) list = NULL;

	/* the cause is in the log for the operator, not in the answer */
	ms_log_expect_message(
		G_LOG_LEVEL_WARNING,
		"history store: recording the calculation: the fake was told to fail");
	ms_log_expect_message(G_LOG_LEVEL_WARNING, "history store: the fake was told to fail");
	ms_log_expect_message(
		G_LOG_LEVEL_WARNING,
		"history store: recording the calculation: the fake was told to fail");
	ms_fake_history_store_fail_with(MS_FAKE_HISTORY_STORE(f->store),
					MS_HISTORY_STORE_ERROR_BUSY);
	busy = ms_calc_test_post(f, "/calc/add", "{\"a\":1,\"b\":2}");
	ms_calc_test_assert_problem(busy, 503, "history_unavailable", "busy");
	g_assert_cmpstr(soup_message_headers_get_one(busy->headers, "Retry-After"), ==, "1");
	list = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, NULL);
	ms_calc_test_assert_problem(list, 503, "history_unavailable", NULL);
	ms_fake_history_store_fail_with(MS_FAKE_HISTORY_STORE(f->store),
					MS_HISTORY_STORE_ERROR_FULL);
	full = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"1\"}");
	ms_calc_test_assert_problem(full, 503, "history_unavailable", "full");
	ms_log_assert_expected_messages();
}

static void
test_sqlite_locked(MsCalcTestFixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "calculator.db", NULL);
	g_autoptr(MsTestResponse) before = NULL;
	g_autoptr(MsTestResponse) locked = NULL;
	g_autoptr(MsTestResponse) reading = NULL;
	g_autoptr(MsTestResponse) after = NULL;
	sqlite3 *db = NULL;

	before = ms_calc_test_post(f, "/calc/add", "{\"a\":1,\"b\":2}");
	g_assert_cmpuint(before->status, ==, 200);
	/* another process holds the write lock longer than the store waits */
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "history store: recording the calculation: *: database is locked");
	locked = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"2*3\"}");
	ms_calc_test_assert_problem(locked, 503, "history_unavailable", "busy");
	g_assert_cmpstr(soup_message_headers_get_one(locked->headers, "Retry-After"), ==, "1");
	ms_log_assert_expected_messages();
	/* WAL: the history can still be read meanwhile */
	reading = ms_calc_test_request_as(f, "GET", "/calc/history", NULL, NULL);
	g_assert_cmpuint(json_array_get_length(ms_calc_test_items(reading)), ==, 1);
	g_assert_cmpint(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	after = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"2*3\"}");
	g_assert_cmpuint(after->status, ==, 200);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	MS_CALC_TEST_ADD("/calculator-history-handler/history", test_history);
	MS_CALC_TEST_ADD("/calculator-history-handler/history-query", test_history_query);
	MS_CALC_TEST_ADD("/calculator-history-handler/history-damaged-time",
			 test_history_damaged_time);
	MS_CALC_TEST_ADD("/calculator-history-handler/invalid-user", test_invalid_user);
	MS_CALC_TEST_ADD("/calculator-history-handler/store-unavailable", test_store_unavailable);
	g_test_add("/calculator-history-handler/sqlite-locked",
		   MsCalcTestFixture,
		   "sqlite",
		   ms_calc_test_fixture_setup,
		   test_sqlite_locked,
		   ms_calc_test_fixture_teardown);
	/* the paging the handler offers, on the store it runs on in production */
	g_test_add("/calculator-history-handler/sqlite/history",
		   MsCalcTestFixture,
		   "sqlite",
		   ms_calc_test_fixture_setup,
		   test_history,
		   ms_calc_test_fixture_teardown);
	g_test_add("/calculator-history-handler/sqlite/history-damaged-time",
		   MsCalcTestFixture,
		   "sqlite",
		   ms_calc_test_fixture_setup,
		   test_history_damaged_time,
		   ms_calc_test_fixture_teardown);
	return g_test_run();
}

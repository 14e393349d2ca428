/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "core/services/ms-calculator-service.h"
#include "ms-fake-history-store.h"
#include "ms-test-utils.h"

/* the service's rules against the in-memory fake of the history port */

typedef struct {
	MsHistoryStore *store;
	MsCalculatorService *service;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->store = ms_fake_history_store_new();
	f->service = ms_calculator_service_new(f->store);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->service);
	g_clear_object(&f->store);
}

static MsFakeHistoryStore *
fake(Fixture *f)
{
	return MS_FAKE_HISTORY_STORE(f->store);
}

static void
test_apply_records(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	double result = 0;
	gint64 before = g_get_real_time();

	g_assert_true(ms_calculator_service_apply(f->service,
						  "ada",
						  MS_CALC_OPERATION_SUB,
						  1,
						  -2,
						  NULL,
						  &result,
						  &error));
	g_assert_no_error(error);
	g_assert_cmpfloat(result, ==, 3);
	g_assert_cmpuint(ms_fake_history_store_get_size(fake(f)), ==, 1);
	g_assert_cmpstr(ms_fake_history_store_get_entry(fake(f), 0)->expression, ==, "1 - (-2)");
	g_assert_cmpstr(ms_fake_history_store_get_entry(fake(f), 0)->user, ==, "ada");
	g_assert_cmpfloat(ms_fake_history_store_get_entry(fake(f), 0)->result, ==, 3);
	g_assert_cmpint(ms_fake_history_store_get_entry(fake(f), 0)->created_at, >=, before);

	g_assert_true(ms_calculator_service_apply(f->service,
						  "ada",
						  MS_CALC_OPERATION_DIV,
						  1,
						  8,
						  NULL,
						  &result,
						  &error));
	g_assert_cmpstr(ms_fake_history_store_get_entry(fake(f), 1)->expression, ==, "1 / 8");
}

static void
test_evaluate_records(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	double result = 0;

	g_assert_true(ms_calculator_service_evaluate(f->service,
						     "ada",
						     "2*(3+4)",
						     NULL,
						     &result,
						     &error));
	g_assert_cmpfloat(result, ==, 14);
	g_assert_cmpuint(ms_fake_history_store_get_size(fake(f)), ==, 1);
	g_assert_cmpstr(ms_fake_history_store_get_entry(fake(f), 0)->expression, ==, "2*(3+4)");
	g_assert_cmpstr(ms_fake_history_store_get_entry(fake(f), 0)->user, ==, "ada");
	g_assert_cmpfloat(ms_fake_history_store_get_entry(fake(f), 0)->result, ==, 14);
}

static void
test_failures_not_recorded(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	double result = 0;

	g_assert_false(ms_calculator_service_apply(f->service,
						   "ada",
						   MS_CALC_OPERATION_DIV,
						   1,
						   0,
						   NULL,
						   &result,
						   &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_DIVISION_BY_ZERO);
	g_clear_error(&error);
	g_assert_false(
		ms_calculator_service_evaluate(f->service, "ada", "1+", NULL, &result, &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_SYNTAX);
	g_assert_cmpuint(ms_fake_history_store_get_size(fake(f)), ==, 0);
}

static void
test_store_failure(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	double result = 42;
	gint64 next = 0;

	ms_fake_history_store_fail_with(fake(f), MS_HISTORY_STORE_ERROR_BUSY);
	/* an answer whose history cannot be written is not given */
	g_assert_false(
		ms_calculator_service_evaluate(f->service, "ada", "1+1", NULL, &result, &error));
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_BUSY);
	g_assert_cmpfloat(result, ==, 42);
	g_clear_error(&error);
	entries = ms_calculator_service_history(f->service, "ada", 0, 10, &next, &error);
	g_assert_null(entries);
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_BUSY);
	g_clear_error(&error);
	ms_fake_history_store_fail_with(fake(f), MS_HISTORY_STORE_ERROR_FULL);
	g_assert_false(ms_calculator_service_clear(f->service, "ada", NULL, &error));
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_FULL);
}

static void
test_history_pages(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint64 next = -1;
	double result = 0;
	guint seen = 0;

	for (int i = 1; i <= 5; i++) {
		g_autofree char *text = g_strdup_printf("%d", i);
		g_assert_true(ms_calculator_service_evaluate(f->service,
							     "ada",
							     text,
							     NULL,
							     &result,
							     &error));
		g_assert_true(ms_calculator_service_evaluate(f->service,
							     "bob",
							     "0",
							     NULL,
							     &result,
							     &error));
	}
	/* newest first, 2 at a time: 5 4 | 3 2 | 1 */
	for (gint64 before = 0; seen == 0 || before != 0;) {
		g_autoptr(GPtrArray) page =
			ms_calculator_service_history(f->service, "ada", before, 2, &next, &error);
		g_assert_no_error(error);
		for (guint i = 0; i < page->len; i++) {
			MsHistoryEntry *e = g_ptr_array_index(page, i);
			g_assert_cmpstr(e->user, ==, "ada");
			g_assert_cmpfloat(e->result, ==, 5 - seen);
			seen++;
		}
		g_assert_cmpuint(page->len, ==, seen < 5 ? 2 : 1);
		before = next;
	}
	g_assert_cmpuint(seen, ==, 5);
	/* a last page that is exactly full says so: no cursor to an empty page */
	{
		g_autoptr(GPtrArray) all =
			ms_calculator_service_history(f->service, "ada", 0, 5, &next, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(all->len, ==, 5);
		g_assert_cmpint(next, ==, 0);
	}
	{
		g_autoptr(GPtrArray) first =
			ms_calculator_service_history(f->service, "ada", 0, 4, &next, &error);
		g_assert_cmpuint(first->len, ==, 4);
		g_assert_cmpint(next, ==, ((MsHistoryEntry *)g_ptr_array_index(first, 3))->id);
	}
}

static void
test_clear(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) page = NULL;
	guint64 deleted = 0;
	gint64 next = 0;
	double result = 0;

	g_assert_true(ms_calculator_service_evaluate(f->service, "ada", "1", NULL, &result, NULL));
	g_assert_true(ms_calculator_service_evaluate(f->service, "ada", "2", NULL, &result, NULL));
	g_assert_true(ms_calculator_service_evaluate(f->service, "bob", "3", NULL, &result, NULL));
	g_assert_true(ms_calculator_service_clear(f->service, "ada", &deleted, &error));
	g_assert_cmpuint(deleted, ==, 2);
	/* gone, and only ada's */
	page = ms_calculator_service_history(f->service, "ada", 0, 20, &next, &error);
	g_assert_cmpuint(page->len, ==, 0);
	g_clear_pointer(&page, g_ptr_array_unref);
	page = ms_calculator_service_history(f->service, "bob", 0, 20, &next, &error);
	g_assert_cmpuint(page->len, ==, 1);
	g_assert_cmpint(next, ==, 0);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/calculator-service/apply-records", test_apply_records);
	ADD("/calculator-service/evaluate-records", test_evaluate_records);
	ADD("/calculator-service/failures-not-recorded", test_failures_not_recorded);
	ADD("/calculator-service/store-failure", test_store_failure);
	ADD("/calculator-service/history-pages", test_history_pages);
	ADD("/calculator-service/clear", test_clear);
#undef ADD
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "core/services/ms-greeting-service.h"
#include "core/services/ms-phrase-greeter.h"
#include "ms-fake-greeter.h"
#include "ms-test-utils.h"

/* the greeting service with fake parts: no sockets, no HTTP */

typedef struct {
	MsFakeGreeter *hello;
	MsFakeGreeter *world;
	MsGreetingService *service;
} Fixture;

static void
fixture_make(Fixture *fx,
	     guint hello_delay_ms,
	     int hello_error,
	     guint world_delay_ms,
	     int world_error)
{
	fx->hello = ms_fake_greeter_new(ms_hello_service_new(), hello_delay_ms, hello_error);
	fx->world = ms_fake_greeter_new(ms_world_service_new(), world_delay_ms, world_error);
	fx->service = ms_greeting_service_new(MS_GREETER(fx->hello), MS_GREETER(fx->world));
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->service);
	g_clear_object(&fx->hello);
	g_clear_object(&fx->world);
	/* late parts finish after the greeting: let them, so nothing leaks */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void
on_result(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

static MsGreetingResult *
greet(Fixture *fx,
      const char *name,
      const char *language,
      GCancellable *cancellable,
      GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;

	ms_greeting_service_greet_async(fx->service,
					name,
					language,
					"req-1",
					cancellable,
					on_result,
					&result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	return ms_greeting_service_greet_finish(fx->service, result, error);
}

static MsGreetingPart *
part_at(MsGreetingResult *result, guint index)
{
	g_assert_cmpuint(result->parts->len, ==, 2);
	return g_ptr_array_index(result->parts, index);
}

typedef struct {
	MsFakeGreeter *fake;
	guint (*counter)(MsFakeGreeter *);
	guint expected;
} Count;

static gboolean
count_reached(gpointer user_data)
{
	Count *count = user_data;

	return count->counter(count->fake) >= count->expected;
}

/* iterates the main context until @counter reaches @expected, for at most 5 s */
static void
wait_for_count(MsFakeGreeter *fake, guint (*counter)(MsFakeGreeter *), guint expected)
{
	Count count = { fake, counter, expected };

	ms_test_wait_until(count_reached, &count, 5000);
	g_assert_cmpuint(counter(fake), ==, expected);
}

static void
test_complete(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 0, MS_FAKE_GREETER_NO_ERROR, 0, MS_FAKE_GREETER_NO_ERROR);
	result = greet(fx, "Ada", "en", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(result->message, ==, "Hello, Ada! World!");
	g_assert_true(result->complete);
	g_assert_cmpstr(part_at(result, 0)->name, ==, "hello");
	g_assert_cmpstr(part_at(result, 0)->message, ==, "Hello, Ada!");
	g_assert_null(part_at(result, 0)->error);
	g_assert_cmpstr(part_at(result, 1)->name, ==, "world");
	g_assert_cmpstr(part_at(result, 1)->message, ==, "World!");

	/* the name goes only where it makes a difference; the context goes everywhere */
	g_assert_cmpstr(ms_fake_greeter_get_last_name(fx->hello), ==, "Ada");
	g_assert_null(ms_fake_greeter_get_last_name(fx->world));
	g_assert_cmpstr(ms_fake_greeter_get_last_request_id(fx->hello), ==, "req-1");
	g_assert_cmpstr(ms_fake_greeter_get_last_request_id(fx->world), ==, "req-1");
	g_assert_cmpstr(ms_fake_greeter_get_last_language(fx->world), ==, "en");
}

static void
test_no_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 0, MS_FAKE_GREETER_NO_ERROR, 0, MS_FAKE_GREETER_NO_ERROR);
	result = greet(fx, NULL, "en", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(result->message, ==, "Hello! World!");
	g_assert_true(result->complete);
}

static void
test_thai(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 0, MS_FAKE_GREETER_NO_ERROR, 0, MS_FAKE_GREETER_NO_ERROR);
	result = greet(fx, "Ada", "th", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(result->message, ==, "สวัสดี, Ada! ชาวโลก!");
	g_assert_cmpstr(part_at(result, 0)->message, ==, "สวัสดี, Ada!");
	g_assert_cmpstr(part_at(result, 1)->message, ==, "ชาวโลก!");
}

static void
test_concurrent(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;
	gint64 started;
	double elapsed_ms;

	/* the one timed assertion: parts run together, not in turn */
	fixture_make(fx, 200, MS_FAKE_GREETER_NO_ERROR, 200, MS_FAKE_GREETER_NO_ERROR);
	started = g_get_monotonic_time();
	result = greet(fx, "Ada", "en", NULL, &error);
	elapsed_ms = (double)(g_get_monotonic_time() - started) / 1000.0;
	g_assert_no_error(error);
	g_assert_true(result->complete);
	g_test_message("two 200 ms parts answered in %.1f ms", elapsed_ms);
	g_assert_cmpfloat(elapsed_ms, >=, 200.0);
	g_assert_cmpfloat(elapsed_ms, <, 300.0);
}

static void
test_part_failed(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 0, MS_FAKE_GREETER_NO_ERROR, 0, MS_GREETER_ERROR_UNAVAILABLE);
	result = greet(fx, "Ada", "en", NULL, &error);
	g_assert_no_error(error);
	g_assert_false(result->complete);
	g_assert_cmpstr(result->message, ==, "Hello, Ada!");
	g_assert_cmpstr(part_at(result, 0)->message, ==, "Hello, Ada!");
	g_assert_null(part_at(result, 1)->message);
	g_assert_error(part_at(result, 1)->error, MS_GREETER_ERROR, MS_GREETER_ERROR_UNAVAILABLE);
}

static void
test_part_late(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 60000, MS_FAKE_GREETER_NO_ERROR, 0, MS_FAKE_GREETER_NO_ERROR);
	ms_greeting_service_set_part_timeout(fx->service, 50);
	result = greet(fx, "Ada", "en", NULL, &error);
	g_assert_no_error(error);
	g_assert_false(result->complete);
	g_assert_cmpstr(result->message, ==, "World!");
	g_assert_error(part_at(result, 0)->error, MS_GREETER_ERROR, MS_GREETER_ERROR_TIMED_OUT);
	/* the late part is told to stop rather than left running */
	wait_for_count(fx->hello, ms_fake_greeter_get_cancelled, 1);
}

static void
test_all_failed(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 0, MS_GREETER_ERROR_BAD_RESPONSE, 60000, MS_FAKE_GREETER_NO_ERROR);
	ms_greeting_service_set_part_timeout(fx->service, 20);
	result = greet(fx, NULL, "en", NULL, &error);
	g_assert_no_error(error);
	g_assert_false(result->complete);
	g_assert_null(result->message);
	g_assert_error(part_at(result, 0)->error, MS_GREETER_ERROR, MS_GREETER_ERROR_BAD_RESPONSE);
	g_assert_error(part_at(result, 1)->error, MS_GREETER_ERROR, MS_GREETER_ERROR_TIMED_OUT);
}

static void
test_invalid_name(Fixture *fx, gconstpointer data)
{
	const char *names[] = {
		"",
		"a\nb",
		"\xff",
		"01234567890123456789012345678901234567890123456789012345678901234"
	};

	fixture_make(fx, 0, MS_FAKE_GREETER_NO_ERROR, 0, MS_FAKE_GREETER_NO_ERROR);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(MsGreetingResult) result = NULL;
		g_autoptr(GError) error = NULL;

		result = greet(fx, names[i], "en", NULL, &error);
		g_assert_error(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME);
		g_assert_null(result);
	}
	/* refused here: no part was bothered */
	g_assert_cmpuint(ms_fake_greeter_get_calls(fx->hello), ==, 0);
	g_assert_cmpuint(ms_fake_greeter_get_calls(fx->world), ==, 0);
}

static void
test_part_refused_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	/* a far hello may have stricter rules: its 400 is the greeting's 400 */
	fixture_make(fx, 0, MS_GREETER_ERROR_INVALID_NAME, 0, MS_FAKE_GREETER_NO_ERROR);
	result = greet(fx, "Ada", "en", NULL, &error);
	g_assert_error(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME);
	g_assert_null(result);
}

static gboolean
cancel_soon(gpointer user_data)
{
	g_cancellable_cancel(user_data);
	return G_SOURCE_REMOVE;
}

static void
test_cancelled(Fixture *fx, gconstpointer data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	fixture_make(fx, 60000, MS_FAKE_GREETER_NO_ERROR, 60000, MS_FAKE_GREETER_NO_ERROR);
	ms_greeting_service_set_part_timeout(fx->service, 0);
	g_idle_add(cancel_soon, cancellable);
	result = greet(fx, "Ada", "en", cancellable, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_null(result);
	g_assert_cmpuint(ms_fake_greeter_get_cancelled(fx->hello), ==, 1);
	g_assert_cmpuint(ms_fake_greeter_get_cancelled(fx->world), ==, 1);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);

#define ADD(path, func) g_test_add(path, Fixture, NULL, NULL, func, fixture_teardown)
	ADD("/greeting-service/complete", test_complete);
	ADD("/greeting-service/no-name", test_no_name);
	ADD("/greeting-service/thai", test_thai);
	ADD("/greeting-service/concurrent", test_concurrent);
	ADD("/greeting-service/part-failed", test_part_failed);
	ADD("/greeting-service/part-late", test_part_late);
	ADD("/greeting-service/all-failed", test_all_failed);
	ADD("/greeting-service/invalid-name", test_invalid_name);
	ADD("/greeting-service/part-refused-name", test_part_refused_name);
	ADD("/greeting-service/cancelled", test_cancelled);
#undef ADD
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/policy/ms-rate-limiter.h"
#include "ms-test-utils.h"

#define SEC G_USEC_PER_SEC
#define T0  (1000 * SEC)

static void
test_burst_then_refill(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(5, 5, 0);
	guint retry = 0;

	for (guint i = 0; i < 5; i++)
		g_assert_true(ms_rate_limiter_consume(limiter, "ada", T0, NULL));
	g_assert_false(ms_rate_limiter_consume(limiter, "ada", T0, &retry));
	g_assert_cmpuint(retry, ==, 1);
	/* another key has its own bucket */
	g_assert_true(ms_rate_limiter_consume(limiter, "bob", T0, NULL));
	/* 5 per second: one token back after 200 ms */
	g_assert_false(ms_rate_limiter_consume(limiter, "ada", T0 + SEC / 10, NULL));
	g_assert_true(ms_rate_limiter_consume(limiter, "ada", T0 + SEC / 5, NULL));
	g_assert_false(ms_rate_limiter_consume(limiter, "ada", T0 + SEC / 5, NULL));
	/* refill caps at burst */
	for (guint i = 0; i < 5; i++)
		g_assert_true(ms_rate_limiter_consume(limiter, "ada", T0 + 100 * SEC, NULL));
	g_assert_false(ms_rate_limiter_consume(limiter, "ada", T0 + 100 * SEC, NULL));
}

static void
test_retry_after(void)
{
	/* 10 per minute: a token every 6 s */
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(10 / 60.0, 10, 0);
	guint retry = 0;

	for (guint i = 0; i < 10; i++)
		g_assert_true(ms_rate_limiter_consume(limiter, "::1", T0, NULL));
	g_assert_false(ms_rate_limiter_consume(limiter, "::1", T0, &retry));
	g_assert_cmpuint(retry, ==, 6);
	g_assert_false(ms_rate_limiter_check(limiter, "::1", T0 + 4 * SEC, &retry));
	g_assert_cmpuint(retry, ==, 2);
	g_assert_true(ms_rate_limiter_check(limiter, "::1", T0 + 6 * SEC, NULL));
}

static void
test_check_does_not_consume(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(1, 2, 0);

	for (guint i = 0; i < 10; i++)
		g_assert_true(ms_rate_limiter_check(limiter, "a", T0, NULL));
	/* check alone never creates a bucket */
	g_assert_cmpuint(ms_rate_limiter_get_size(limiter), ==, 0);
	g_assert_true(ms_rate_limiter_consume(limiter, "a", T0, NULL));
	g_assert_true(ms_rate_limiter_consume(limiter, "a", T0, NULL));
	g_assert_false(ms_rate_limiter_check(limiter, "a", T0, NULL));
}

static void
test_expiry(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(10, 10, 0);

	for (guint i = 0; i < 100; i++) {
		g_autofree char *key = g_strdup_printf("10.0.0.%u", i);
		ms_rate_limiter_consume(limiter, key, T0, NULL);
	}
	g_assert_cmpuint(ms_rate_limiter_get_size(limiter), ==, 100);
	ms_rate_limiter_expire(limiter, T0 + SEC / 2);
	g_assert_cmpuint(ms_rate_limiter_get_size(limiter), ==, 100);
	/* full again after burst/rate = 1 s: dropped */
	ms_rate_limiter_expire(limiter, T0 + SEC);
	g_assert_cmpuint(ms_rate_limiter_get_size(limiter), ==, 0);
}

static void
test_hard_cap(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(1, 1, 1000);

	/* a flood of distinct clients within the same instant: memory stays bounded */
	for (guint i = 0; i < 100000; i++) {
		g_autofree char *key = g_strdup_printf("client-%u", i);
		g_assert_true(ms_rate_limiter_consume(limiter, key, T0, NULL));
	}
	g_assert_cmpuint(ms_rate_limiter_get_size(limiter), ==, 1000);
	/* the most recent ones are still limited */
	g_assert_false(ms_rate_limiter_consume(limiter, "client-99999", T0, NULL));
}

static void
test_lru_order(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(1, 1, 3);

	ms_rate_limiter_consume(limiter, "a", T0, NULL);
	ms_rate_limiter_consume(limiter, "b", T0, NULL);
	ms_rate_limiter_consume(limiter, "c", T0, NULL);
	/* touching a makes b the oldest, so d evicts b */
	g_assert_false(ms_rate_limiter_consume(limiter, "a", T0, NULL));
	ms_rate_limiter_consume(limiter, "d", T0, NULL);
	g_assert_false(ms_rate_limiter_check(limiter, "a", T0, NULL));
	g_assert_true(ms_rate_limiter_check(limiter, "b", T0, NULL));
	g_assert_false(ms_rate_limiter_check(limiter, "c", T0, NULL));
}

static void
test_clock_backwards(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(1, 1, 0);

	g_assert_true(ms_rate_limiter_consume(limiter, "a", T0, NULL));
	g_assert_false(ms_rate_limiter_consume(limiter, "a", T0 - 10 * SEC, NULL));
	g_assert_true(ms_rate_limiter_consume(limiter, "a", T0 + SEC, NULL));
}

typedef struct {
	MsRateLimiter *limiter;
	guint allowed;
} ThreadData;

static gpointer
hammer(gpointer user_data)
{
	ThreadData *data = user_data;
	for (guint i = 0; i < 10000; i++) {
		if (ms_rate_limiter_consume(data->limiter, "shared", T0, NULL))
			data->allowed++;
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(MsRateLimiter) limiter = ms_rate_limiter_new(1, 1000, 0);
	ThreadData data[4] = { { 0 } };
	GThread *threads[4];
	guint total = 0;

	for (guint i = 0; i < 4; i++) {
		data[i].limiter = limiter;
		threads[i] = g_thread_new("hammer", hammer, &data[i]);
	}
	for (guint i = 0; i < 4; i++) {
		g_thread_join(threads[i]);
		total += data[i].allowed;
	}
	g_assert_cmpuint(total, ==, 1000);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/rate-limiter/burst-refill", test_burst_then_refill);
	g_test_add_func("/rate-limiter/retry-after", test_retry_after);
	g_test_add_func("/rate-limiter/check", test_check_does_not_consume);
	g_test_add_func("/rate-limiter/expiry", test_expiry);
	g_test_add_func("/rate-limiter/hard-cap", test_hard_cap);
	g_test_add_func("/rate-limiter/lru", test_lru_order);
	g_test_add_func("/rate-limiter/clock-backwards", test_clock_backwards);
	g_test_add_func("/rate-limiter/threads", test_threads);
	return g_test_run();
}

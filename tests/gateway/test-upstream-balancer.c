/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "gateway/core/ms-upstream-balancer.h"

/*
 * unit tests: which replica takes an exchange, when one is taken out and
 * brought back, and when a failed exchange is tried again. The clock is a
 * number the test moves: no test waits.
 */

#define SECOND G_USEC_PER_SEC

typedef struct {
	MsUpstreamHealthTable *table;
	MsUpstreamHealth *health[3];
	MsUpstreamBalancer *balancer;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	guint n = GPOINTER_TO_UINT(data);

	f->table = ms_upstream_health_table_new();
	for (guint i = 0; i < n; i++) {
		g_autofree char *server = g_strdup_printf("http://10.0.0.%u:80", i + 1);
		f->health[i] = ms_upstream_health_table_get(f->table, "hello", server);
	}
	f->balancer = ms_upstream_balancer_new(n, f->health);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	ms_upstream_balancer_free(f->balancer);
	ms_upstream_health_table_free(f->table);
}

/* one whole exchange: picked, then settled as @outcome */
static gint
exchange(Fixture *f, gint64 now, MsUpstreamOutcome outcome)
{
	gint server = ms_upstream_balancer_pick(f->balancer, now, -1);

	g_assert_cmpint(server, >=, 0);
	ms_upstream_balancer_settle(f->balancer, (guint)server, outcome, now);
	return server;
}

/* one request at a time: every server is equal, and they take turns */
static void
test_turns(Fixture *f, gconstpointer data)
{
	guint counts[3] = { 0 };

	for (guint i = 0; i < 30; i++)
		counts[exchange(f, 0, MS_UPSTREAM_OUTCOME_ANSWERED)]++;
	g_assert_cmpuint(counts[0], ==, 10);
	g_assert_cmpuint(counts[1], ==, 10);
	g_assert_cmpuint(counts[2], ==, 10);
	g_assert_cmpuint(ms_upstream_health_get_requests(f->health[0]), ==, 10);
}

/* a server that keeps its requests longer gets fewer new ones */
static void
test_least_outstanding(Fixture *f, gconstpointer data)
{
	gint slow = ms_upstream_balancer_pick(f->balancer, 0, -1);
	gint other = 1 - slow;

	/* slow holds one; every exchange that comes and goes meanwhile goes to the other */
	for (guint i = 0; i < 5; i++)
		g_assert_cmpint(exchange(f, 0, MS_UPSTREAM_OUTCOME_ANSWERED), ==, other);
	g_assert_cmpuint(ms_upstream_balancer_get_outstanding(f->balancer, (guint)slow), ==, 1);
	/* two held on the other: the slow one, with one, is the least busy */
	g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 0, -1), ==, other);
	g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 0, -1), ==, slow);
}

/* three connect failures in a row take a server out; the others take everything */
static void
test_taken_out(Fixture *f, gconstpointer data)
{
	for (guint i = 0; i < MS_UPSTREAM_HEALTH_MAX_FAILS; i++) {
		g_assert_true(ms_upstream_health_is_up(f->health[0]));
		ms_upstream_health_count_request(f->health[0]);
		ms_upstream_balancer_pick(f->balancer, 0, 1); /* 0, as 1 is excluded */
		ms_upstream_balancer_settle(f->balancer, 0, MS_UPSTREAM_OUTCOME_UNREACHED, 0);
	}
	g_assert_false(ms_upstream_health_is_up(f->health[0]));
	g_assert_cmpuint(ms_upstream_health_get_failures(f->health[0]), ==, 3);
	for (guint i = 0; i < 10; i++)
		g_assert_cmpint(exchange(f, SECOND / 2, MS_UPSTREAM_OUTCOME_ANSWERED), ==, 1);
}

/* an answer between failures starts the count over: only failures in a row count */
static void
test_failures_in_a_row(Fixture *f, gconstpointer data)
{
	MsUpstreamHealth *health = f->health[0];

	ms_upstream_health_failed(health, 0);
	ms_upstream_health_failed(health, 0);
	ms_upstream_health_answered(health);
	ms_upstream_health_failed(health, 0);
	ms_upstream_health_failed(health, 0);
	g_assert_true(ms_upstream_health_is_up(health));
	/* a broken exchange says nothing of reachability: it counts, but takes nothing out */
	for (guint i = 0; i < 5; i++) {
		g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 0, 1), ==, 0);
		ms_upstream_balancer_settle(f->balancer, 0, MS_UPSTREAM_OUTCOME_BROKEN, 0);
	}
	g_assert_true(ms_upstream_health_is_up(health));
	g_assert_cmpuint(ms_upstream_health_get_failures(health), ==, 5);
}

static void
take_out(MsUpstreamHealth *health, gint64 now)
{
	for (guint i = 0; i < MS_UPSTREAM_HEALTH_MAX_FAILS; i++)
		ms_upstream_health_failed(health, now);
}

/*
 * After the back-off one request is the trial, and only one: the next picks
 * go elsewhere until it answers. An answer brings the server back.
 */
static void
test_trial(Fixture *f, gconstpointer data)
{
	gint64 now = 100 * SECOND;
	gint trial;

	take_out(f->health[0], now);
	now += MS_UPSTREAM_HEALTH_BACKOFF_MIN_USEC - 1;
	g_assert_cmpint(ms_upstream_health_get_state(f->health[0], now),
			==,
			MS_UPSTREAM_HEALTH_OUT);
	g_assert_cmpint(exchange(f, now, MS_UPSTREAM_OUTCOME_ANSWERED), ==, 1);
	now += 1;
	g_assert_cmpint(ms_upstream_health_get_state(f->health[0], now),
			==,
			MS_UPSTREAM_HEALTH_TRIAL_DUE);
	trial = ms_upstream_balancer_pick(f->balancer, now, -1);
	g_assert_cmpint(trial, ==, 0);
	/* the trial is under way: no second one */
	for (guint i = 0; i < 5; i++)
		g_assert_cmpint(exchange(f, now, MS_UPSTREAM_OUTCOME_ANSWERED), ==, 1);
	g_assert_false(ms_upstream_health_is_up(f->health[0]));
	ms_upstream_balancer_settle(f->balancer, 0, MS_UPSTREAM_OUTCOME_ANSWERED, now);
	g_assert_true(ms_upstream_health_is_up(f->health[0]));
	/* back in: the turns include it again */
	g_assert_cmpint(exchange(f, now, MS_UPSTREAM_OUTCOME_ANSWERED), ==, 0);
	g_assert_cmpint(exchange(f, now, MS_UPSTREAM_OUTCOME_ANSWERED), ==, 1);
}

/* each failed trial doubles the back-off, up to its bound */
static void
test_backoff_grows(Fixture *f, gconstpointer data)
{
	MsUpstreamHealth *health = f->health[0];
	gint64 now = 0;
	gint64 expected = MS_UPSTREAM_HEALTH_BACKOFF_MIN_USEC;

	take_out(health, now);
	for (guint i = 0; i < 8; i++) {
		g_assert_cmpint(ms_upstream_health_get_retry_at(health) - now, ==, expected);
		now = ms_upstream_health_get_retry_at(health);
		g_assert_true(ms_upstream_health_claim_trial(health, now));
		g_assert_false(ms_upstream_health_claim_trial(health, now));
		ms_upstream_health_failed(health, now);
		expected = MIN(expected * 2, MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC);
	}
	g_assert_cmpint(expected, ==, MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC);
}

/* the health is the route's, not the worker's: another worker's balancer sees it out */
static void
test_shared_health(Fixture *f, gconstpointer data)
{
	MsUpstreamHealth *health[2] = {
		ms_upstream_health_table_get(f->table, "hello", "http://10.0.0.1:80"),
		ms_upstream_health_table_get(f->table, "hello", "http://10.0.0.2:80"),
	};
	g_autoptr(MsUpstreamBalancer) other = ms_upstream_balancer_new(2, health);

	g_assert_true(health[0] == f->health[0]);
	g_assert_null(
		ms_upstream_health_table_lookup(f->table, "other-route", "http://10.0.0.1:80"));
	take_out(f->health[0], 0);
	for (guint i = 0; i < 4; i++) {
		g_assert_cmpint(ms_upstream_balancer_pick(other, 0, -1), ==, 1);
		ms_upstream_balancer_settle(other, 1, MS_UPSTREAM_OUTCOME_ANSWERED, 0);
	}
}

/*
 * The server that failed is not picked again for the retry; when every other
 * is out the retry still goes (the nearest trial), and with one server there
 * is none to go to.
 */
static void
test_exclude(Fixture *f, gconstpointer data)
{
	g_autoptr(MsUpstreamBalancer) single = ms_upstream_balancer_new(1, f->health);

	for (guint i = 0; i < 6; i++) {
		g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 0, 0), ==, 1);
		ms_upstream_balancer_settle(f->balancer, 1, MS_UPSTREAM_OUTCOME_ANSWERED, 0);
	}
	take_out(f->health[1], 0);
	g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 0, 0), ==, 1);
	ms_upstream_balancer_settle(f->balancer, 1, MS_UPSTREAM_OUTCOME_ABANDONED, 0);
	g_assert_cmpint(ms_upstream_balancer_pick(single, 0, 0), ==, -1);
}

/* every server out: the one whose trial is nearest is tried rather than none */
static void
test_all_out(Fixture *f, gconstpointer data)
{
	take_out(f->health[0], 5 * SECOND);
	take_out(f->health[1], 2 * SECOND);
	take_out(f->health[2], 9 * SECOND);
	g_assert_cmpint(ms_upstream_balancer_pick(f->balancer, 2 * SECOND, -1), ==, 1);
}

static MsUpstreamRetry
decide(guint n_servers,
       gboolean responded,
       gboolean nothing_sent,
       gboolean stale,
       gboolean idempotent,
       gboolean retried)
{
	MsUpstreamAttempt attempt = {
		.n_servers = n_servers,
		.responded = responded,
		.nothing_sent = nothing_sent,
		.stale = stale,
		.idempotent = idempotent,
		.retried = retried,
	};

	return ms_upstream_retry_decide(&attempt);
}

static void
test_retry_decide(void)
{
	/* replicas: a GET that failed before its answer goes to another */
	g_assert_cmpint(decide(2, FALSE, FALSE, FALSE, TRUE, FALSE), ==, MS_UPSTREAM_RETRY_OTHER);
	/* a POST only when none of it was sent */
	g_assert_cmpint(decide(2, FALSE, TRUE, FALSE, FALSE, FALSE), ==, MS_UPSTREAM_RETRY_OTHER);
	g_assert_cmpint(decide(2, FALSE, FALSE, FALSE, FALSE, FALSE), ==, MS_UPSTREAM_RETRY_NONE);
	g_assert_cmpint(decide(2, FALSE, FALSE, TRUE, FALSE, FALSE), ==, MS_UPSTREAM_RETRY_NONE);
	/* once, and never once the answer's head went to the client */
	g_assert_cmpint(decide(2, FALSE, TRUE, FALSE, TRUE, TRUE), ==, MS_UPSTREAM_RETRY_NONE);
	g_assert_cmpint(decide(2, TRUE, FALSE, FALSE, TRUE, FALSE), ==, MS_UPSTREAM_RETRY_NONE);
	/* one server: only a stale keep-alive connection is worth a new one */
	g_assert_cmpint(decide(1, FALSE, FALSE, TRUE, TRUE, FALSE), ==, MS_UPSTREAM_RETRY_SAME);
	g_assert_cmpint(decide(1, FALSE, TRUE, FALSE, TRUE, FALSE), ==, MS_UPSTREAM_RETRY_NONE);
	g_assert_cmpint(decide(1, FALSE, FALSE, FALSE, TRUE, FALSE), ==, MS_UPSTREAM_RETRY_NONE);
	g_assert_cmpint(decide(1, FALSE, FALSE, TRUE, TRUE, TRUE), ==, MS_UPSTREAM_RETRY_NONE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, n, func)                    \
	g_test_add("/gateway/balancer/" path, \
		   Fixture,                   \
		   GUINT_TO_POINTER(n),       \
		   fixture_set_up,            \
		   func,                      \
		   fixture_tear_down)
	ADD("turns", 3, test_turns);
	ADD("least-outstanding", 2, test_least_outstanding);
	ADD("taken-out", 2, test_taken_out);
	ADD("failures-in-a-row", 2, test_failures_in_a_row);
	ADD("trial", 2, test_trial);
	ADD("backoff-grows", 2, test_backoff_grows);
	ADD("shared-health", 2, test_shared_health);
	ADD("exclude", 2, test_exclude);
	ADD("all-out", 3, test_all_out);
#undef ADD
	g_test_add_func("/gateway/balancer/retry-decide", test_retry_decide);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ms-history-store-contract.h"
#include "ms-test-utils.h"

typedef struct {
	char *dir;
	MsHistoryStore *store;
} Fixture;

typedef struct {
	MsHistoryStoreFactory factory;
} Implementation;

/* the registrations outlive g_test_run(), so they live here rather than on the heap */
static Implementation implementations[4];
static guint n_implementations;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	const Implementation *implementation = data;

	f->dir = ms_test_dir_new();
	f->store = implementation->factory(f->dir);
	g_assert_nonnull(f->store);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->store);
	ms_test_dir_remove(f->dir);
	g_free(f->dir);
}

static gint64
append_at(Fixture *f, const char *user, const char *expression, double result, gint64 created_at)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;

	g_assert_true(ms_history_store_append(f->store,
					      user,
					      expression,
					      result,
					      created_at,
					      &id,
					      &error));
	g_assert_no_error(error);
	return id;
}

static gint64
append(Fixture *f, const char *user, const char *expression)
{
	return append_at(f, user, expression, 1, G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC);
}

static GPtrArray *
list(Fixture *f, const char *user, gint64 before_id, guint limit)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *entries = ms_history_store_list(f->store, user, before_id, limit, &error);

	g_assert_no_error(error);
	g_assert_nonnull(entries);
	return entries;
}

static guint64
clear(Fixture *f, const char *user)
{
	g_autoptr(GError) error = NULL;
	guint64 n_deleted = G_MAXUINT64;

	g_assert_true(ms_history_store_clear(f->store, user, &n_deleted, &error));
	g_assert_no_error(error);
	return n_deleted;
}

static MsHistoryEntry *
entry_at(GPtrArray *entries, guint i)
{
	return g_ptr_array_index(entries, i);
}

/* the ids of @entries, in the order listed */
static GArray *
ids_of(GPtrArray *entries)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));

	for (guint i = 0; i < entries->len; i++)
		g_array_append_val(ids, entry_at(entries, i)->id);
	return ids;
}

static void
assert_ids(GPtrArray *entries, const gint64 *expected, guint n_expected)
{
	g_autoptr(GArray) ids = ids_of(entries);

	g_assert_cmpmem(ids->data,
			ids->len * sizeof(gint64),
			expected,
			n_expected * sizeof(gint64));
}

static void
test_empty(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) entries = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX);

	/* an empty history is an empty list, not an error */
	g_assert_cmpuint(entries->len, ==, 0);
	g_assert_cmpuint(clear(f, "ada"), ==, 0);
	g_assert_true(ms_history_store_clear(f->store, "ada", NULL, NULL));
}

static void
test_append_ids(Fixture *f, gconstpointer data)
{
	gint64 previous = 0;

	/* one sequence for all users: a cursor of one user's page is an id like any other */
	for (guint i = 0; i < 6; i++) {
		gint64 id = append(f, i % 2 ? "bob" : "ada", "1 + 1");

		g_assert_cmpint(id, >, 0);
		g_assert_cmpint(id, >, previous);
		previous = id;
	}
	/* the id is optional */
	g_assert_true(ms_history_store_append(f->store, "ada", "2", 2, 0, NULL, NULL));
	{
		g_autoptr(GPtrArray) entries = list(f, "ada", 0, 1);

		g_assert_cmpuint(entries->len, ==, 1);
		g_assert_cmpint(entry_at(entries, 0)->id, >, previous);
		g_assert_cmpstr(entry_at(entries, 0)->expression, ==, "2");
	}
}

static void
test_round_trip(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *expression;
		double result;
		gint64 created_at;
	} cases[] = {
		{ "1 + 2", 3, 1700000000123456 },
		{ "", 0.1, 0 },
		{ "√2 × π ÷ ๓", -0.5, -1 },
		{ "'); DROP TABLE history; --", 1e308, G_MAXINT64 },
		{ "%_\\", -4.9406564584124654e-324, G_MININT64 },
		{ "2^53 + 1", 9007199254740992.0, 1 },
		{ "0.1 + 0.2", 0.30000000000000004, G_MAXINT64 / 2 },
		{ "-2^63", -9223372036854775808.0, 42 },
		{ "the port's own limits", HUGE_VAL, 7 },
		{ "and below", -HUGE_VAL, 8 },
	};
	gint64 ids[G_N_ELEMENTS(cases)];
	g_autoptr(GPtrArray) entries = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		ids[i] = append_at(f,
				   "ada",
				   cases[i].expression,
				   cases[i].result,
				   cases[i].created_at);
	entries = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX);
	g_assert_cmpuint(entries->len, ==, G_N_ELEMENTS(cases));
	/* every field comes back as it went in, the result to the last bit */
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		MsHistoryEntry *e = entry_at(entries, G_N_ELEMENTS(cases) - 1 - i);

		g_test_message("case %u: %s", i, cases[i].expression);
		g_assert_cmpint(e->id, ==, ids[i]);
		g_assert_cmpstr(e->user, ==, "ada");
		g_assert_cmpstr(e->expression, ==, cases[i].expression);
		g_assert_cmpmem(&e->result, sizeof(double), &cases[i].result, sizeof(double));
		g_assert_cmpint(e->created_at, ==, cases[i].created_at);
	}
}

static void
test_negative_zero(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) entries = NULL;

	/* "0 * -1" is -0 in IEEE 754, and the client was answered 0: the history says 0 */
	append_at(f, "ada", "0 * -1", -0.0, 0);
	entries = list(f, "ada", 0, 1);
	g_assert_cmpuint(entries->len, ==, 1);
	g_assert_cmpfloat(entry_at(entries, 0)->result, ==, 0);
	g_assert_false(signbit(entry_at(entries, 0)->result));
}

static void
test_newest_first(Fixture *f, gconstpointer data)
{
	gint64 ids[5];
	g_autoptr(GPtrArray) entries = NULL;

	/* by id, not by created_at: a clock set back does not reorder the history */
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *expression = g_strdup_printf("%u", i);

		ids[i] = append_at(f, "ada", expression, i, (gint64)(10 - i) * G_USEC_PER_SEC);
	}
	entries = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX);
	g_assert_cmpuint(entries->len, ==, G_N_ELEMENTS(ids));
	for (guint i = 0; i < entries->len; i++) {
		g_autofree char *expression = g_strdup_printf("%u", 4 - i);

		g_assert_cmpint(entry_at(entries, i)->id, ==, ids[4 - i]);
		g_assert_cmpstr(entry_at(entries, i)->expression, ==, expression);
	}
}

static void
test_limit(Fixture *f, gconstpointer data)
{
	gint64 ids[MS_HISTORY_LIMIT_MAX + 5];

	for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
		ids[i] = append(f, "ada", "1");
	/* the newest @limit; fewer when there are fewer */
	for (guint limit = 0; limit <= 3; limit++) {
		g_autoptr(GPtrArray) entries = list(f, "ada", 0, limit);
		gint64 expected[3];

		for (guint i = 0; i < limit; i++)
			expected[i] = ids[G_N_ELEMENTS(ids) - 1 - i];
		assert_ids(entries, expected, limit);
	}
	{
		/* the service asks for one more than a page, to know whether another follows */
		g_autoptr(GPtrArray) look_ahead = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX + 1);
		g_autoptr(GPtrArray) all = list(f, "ada", 0, G_MAXUINT);
		g_autoptr(GPtrArray) tail = list(f, "ada", ids[3], MS_HISTORY_LIMIT_MAX);

		g_assert_cmpuint(look_ahead->len, ==, MS_HISTORY_LIMIT_MAX + 1);
		g_assert_cmpint(entry_at(look_ahead, MS_HISTORY_LIMIT_MAX)->id, ==, ids[4]);
		g_assert_cmpuint(all->len, ==, G_N_ELEMENTS(ids));
		assert_ids(tail, (const gint64[]){ ids[2], ids[1], ids[0] }, 3);
	}
}

static void
test_paginate(Fixture *f, gconstpointer data)
{
	g_autoptr(GArray) expected = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) walked = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 before = 0;
	guint pages = 0;

	/* ada's entries between bob's, so her ids have gaps */
	for (guint i = 0; i < 25; i++) {
		gint64 id = append(f, "ada", "1");

		g_array_prepend_val(expected, id);
		append(f, "bob", "2");
		if (i % 3 == 0)
			append(f, "bob", "3");
	}
	/* each page starts below the last id of the one before: every entry once, in order */
	for (;;) {
		g_autoptr(GPtrArray) page = list(f, "ada", before, 4);

		pages++;
		for (guint i = 0; i < page->len; i++) {
			g_assert_cmpstr(entry_at(page, i)->user, ==, "ada");
			g_array_append_val(walked, entry_at(page, i)->id);
		}
		if (page->len < 4)
			break;
		before = entry_at(page, page->len - 1)->id;
		g_assert_cmpuint(pages, <, 100);
	}
	g_assert_cmpuint(pages, ==, 7);
	g_assert_cmpmem(walked->data,
			walked->len * sizeof(gint64),
			expected->data,
			expected->len * sizeof(gint64));
}

static void
test_before_edges(Fixture *f, gconstpointer data)
{
	gint64 a1 = append(f, "ada", "1");
	gint64 b1 = append(f, "bob", "1");
	gint64 a2 = append(f, "ada", "2");
	gint64 a3 = append(f, "ada", "3");

	/* strictly before: the cursor's own entry is on the previous page */
	{
		g_autoptr(GPtrArray) below_newest = list(f, "ada", a3, 10);
		assert_ids(below_newest, (const gint64[]){ a2, a1 }, 2);
	}
	/* a cursor beyond every id, another user's id, the oldest id, 1 */
	{
		g_autoptr(GPtrArray) beyond = list(f, "ada", a3 + 1000, 10);
		g_autoptr(GPtrArray) at_bob = list(f, "ada", b1, 10);
		g_autoptr(GPtrArray) at_oldest = list(f, "ada", a1, 10);
		g_autoptr(GPtrArray) at_one = list(f, "ada", 1, 10);

		assert_ids(beyond, (const gint64[]){ a3, a2, a1 }, 3);
		assert_ids(at_bob, (const gint64[]){ a1 }, 1);
		g_assert_cmpuint(at_oldest->len, ==, 0);
		g_assert_cmpuint(at_one->len, ==, 0);
	}
	/* a cursor whose entry is gone still pages on: it is a position, not a reference */
	g_assert_cmpuint(clear(f, "bob"), ==, 1);
	{
		g_autoptr(GPtrArray) at_deleted = list(f, "ada", b1, 10);
		assert_ids(at_deleted, (const gint64[]){ a1 }, 1);
	}
}

static void
test_users_isolated(Fixture *f, gconstpointer data)
{
	/* matched exactly: no case folding, no trimming, no patterns */
	static const char *const users[] = {
		"ada", "Ada", "ada ", " ada", "a%", "a_a", "a", "ชาวโลก", "ada\\",
	};
	gint64 ids[G_N_ELEMENTS(users)][2];

	for (guint round = 0; round < 2; round++) {
		for (guint i = 0; i < G_N_ELEMENTS(users); i++) {
			g_autofree char *expression = g_strdup_printf("%u+%u", i, round);

			ids[i][round] = append(f, users[i], expression);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(users); i++) {
		g_autoptr(GPtrArray) entries = list(f, users[i], 0, MS_HISTORY_LIMIT_MAX);
		g_autofree char *newest = g_strdup_printf("%u+1", i);

		g_test_message("user “%s”", users[i]);
		assert_ids(entries, (const gint64[]){ ids[i][1], ids[i][0] }, 2);
		g_assert_cmpstr(entry_at(entries, 0)->user, ==, users[i]);
		g_assert_cmpstr(entry_at(entries, 0)->expression, ==, newest);
	}
	{
		g_autoptr(GPtrArray) nobody = list(f, "%", 0, MS_HISTORY_LIMIT_MAX);
		g_assert_cmpuint(nobody->len, ==, 0);
	}
}

static void
test_clear(Fixture *f, gconstpointer data)
{
	gint64 bob[2];

	for (guint i = 0; i < 3; i++)
		append(f, "ada", "1");
	bob[0] = append(f, "bob", "2");
	append(f, "Ada", "3");
	bob[1] = append(f, "bob", "4");

	/* only that user's entries, counted */
	g_assert_cmpuint(clear(f, "ada"), ==, 3);
	{
		g_autoptr(GPtrArray) ada = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX);
		g_autoptr(GPtrArray) other = list(f, "bob", 0, MS_HISTORY_LIMIT_MAX);
		g_autoptr(GPtrArray) cased = list(f, "Ada", 0, MS_HISTORY_LIMIT_MAX);

		g_assert_cmpuint(ada->len, ==, 0);
		assert_ids(other, (const gint64[]){ bob[1], bob[0] }, 2);
		g_assert_cmpuint(cased->len, ==, 1);
	}
	/* nothing left: nothing deleted, and no error */
	g_assert_cmpuint(clear(f, "ada"), ==, 0);
	g_assert_cmpuint(clear(f, "nobody"), ==, 0);
	/* a cleared history fills again */
	append(f, "ada", "5");
	{
		g_autoptr(GPtrArray) ada = list(f, "ada", 0, MS_HISTORY_LIMIT_MAX);
		g_assert_cmpuint(ada->len, ==, 1);
		g_assert_cmpstr(entry_at(ada, 0)->expression, ==, "5");
	}
}

static void
test_ids_not_reused(Fixture *f, gconstpointer data)
{
	gint64 first = append(f, "ada", "1");
	gint64 newest = append(f, "ada", "2");
	gint64 after;

	/* even when the newest entries are gone, or all of them: an old cursor must
	 * never point into entries made later */
	g_assert_cmpuint(clear(f, "ada"), ==, 2);
	after = append(f, "bob", "3");
	g_assert_cmpint(after, >, newest);
	g_assert_cmpint(after, >, first);
	g_assert_cmpuint(clear(f, "bob"), ==, 1);
	g_assert_cmpint(append(f, "ada", "4"), >, after);
}

static void
test_list_is_a_copy(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) first = NULL;
	g_autoptr(GPtrArray) again = NULL;

	append(f, "ada", "1 + 1");
	first = list(f, "ada", 0, 10);
	/* what the caller does with its list is no business of the store's */
	g_free(entry_at(first, 0)->expression);
	entry_at(first, 0)->expression = g_strdup("changed");
	entry_at(first, 0)->result = 99;
	g_ptr_array_set_size(first, 0);
	append(f, "ada", "2 + 2");
	again = list(f, "ada", 0, 10);
	g_assert_cmpuint(again->len, ==, 2);
	g_assert_cmpstr(entry_at(again, 1)->expression, ==, "1 + 1");
	g_assert_cmpfloat(entry_at(again, 1)->result, ==, 1);
	g_assert_cmpuint(first->len, ==, 0);
}

/**
 * ms_history_store_contract_add_tests:
 * @implementation: the path component that names the implementation
 *
 * Adds the contract's tests as /history-store-contract/@implementation/…
 */
void
ms_history_store_contract_add_tests(const char *implementation, MsHistoryStoreFactory factory)
{
	static const struct {
		const char *name;
		void (*func)(Fixture *, gconstpointer);
	} tests[] = {
		{ "empty", test_empty },
		{ "append-ids", test_append_ids },
		{ "round-trip", test_round_trip },
		{ "negative-zero", test_negative_zero },
		{ "newest-first", test_newest_first },
		{ "limit", test_limit },
		{ "paginate", test_paginate },
		{ "before-edges", test_before_edges },
		{ "users-isolated", test_users_isolated },
		{ "clear", test_clear },
		{ "ids-not-reused", test_ids_not_reused },
		{ "list-is-a-copy", test_list_is_a_copy },
	};
	Implementation *registered;

	g_assert_cmpuint(n_implementations, <, G_N_ELEMENTS(implementations));
	registered = &implementations[n_implementations++];
	registered->factory = factory;
	for (guint i = 0; i < G_N_ELEMENTS(tests); i++) {
		g_autofree char *path = g_strdup_printf("/history-store-contract/%s/%s",
							implementation,
							tests[i].name);

		g_test_add(path,
			   Fixture,
			   registered,
			   fixture_setup,
			   tests[i].func,
			   fixture_teardown);
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/policy/ms-response-cache.h"
#include "gateway/service/policy/ms-policy-cache.h"
#include "ms-test-utils.h"

#define SEC G_USEC_PER_SEC
#define T0  (1000 * SEC)

/*
 * The store is tested on plain values: requests are name, value, ..., NULL
 * arrays read through pairs_lookup(), answers are MsCacheResponseFacts. The
 * service's translation from libsoup's headers is tested on its own below.
 */

/* an MsHeaderLookupFunc over name, value, ..., NULL; names compare in any case */
static const char *
pairs_lookup(gconstpointer headers, const char *name)
{
	const char *const *pairs = headers;

	for (guint i = 0; pairs[i] != NULL; i += 2) {
		if (g_ascii_strcasecmp(pairs[i], name) == 0)
			return pairs[i + 1];
	}
	return NULL;
}

static MsCacheResponseFacts
facts_new(void)
{
	MsCacheResponseFacts facts;

	ms_cache_response_facts_init(&facts);
	return facts;
}

/* a 200 stored at T0 for a request whose fields the answer does not vary on */
static gboolean
store_answer(MsResponseCache *cache,
	     const char *key,
	     const MsCacheResponseFacts *facts,
	     const char *const *headers,
	     GBytes *body,
	     guint ttl_s)
{
	return ms_response_cache_store(cache,
				       key,
				       NULL,
				       NULL,
				       200,
				       facts,
				       headers,
				       body,
				       ttl_s,
				       T0);
}

static MsHttpFields *
headers_new(const char *first_name, ...)
{
	MsHttpFields *headers = ms_http_fields_new();
	const char *name = first_name;
	va_list args;

	va_start(args, first_name);
	while (name != NULL) {
		ms_http_fields_append(headers, name, va_arg(args, const char *));
		name = va_arg(args, const char *);
	}
	va_end(args);
	return headers;
}

static void
test_key(void)
{
	g_autofree char *a = ms_response_cache_make_key("GET", "/hello", "name=a", "th", NULL);
	g_autofree char *b = ms_response_cache_make_key("GET", "/hello", "name=a", "en", NULL);
	g_autofree char *c = ms_response_cache_make_key("GET", "/hello", "name=a", "th", "ada");
	g_autofree char *d = ms_response_cache_make_key("GET", "/hello", "name=a", "th", "bob");
	g_autofree char *e = ms_response_cache_make_key("HEAD", "/hello", "name=a", "th", NULL);
	g_autofree char *f = ms_response_cache_make_key("GET", "/hello", NULL, "th", NULL);
	g_autofree char *g = ms_response_cache_make_key("GET", "/hello", "", "th", NULL);
	/* no path/query choice can forge another key */
	g_autofree char *h = ms_response_cache_make_key("GET", "/a;1:b", "", NULL, NULL);
	g_autofree char *i = ms_response_cache_make_key("GET", "/a", "b", NULL, NULL);

	g_assert_cmpstr(a, !=, b);
	g_assert_cmpstr(a, !=, c);
	g_assert_cmpstr(c, !=, d);
	g_assert_cmpstr(a, !=, e);
	g_assert_cmpstr(f, ==, g); /* no query and an empty one are the same resource */
	g_assert_cmpstr(h, !=, i);
}

static void
test_ttl(void)
{
	struct {
		guint route_ttl;
		const char *method;
		guint status;
		const char *name;
		const char *value;
		guint expected;
	} cases[] = {
		{ 60, "GET", 200, NULL, NULL, 60 },
		{ 60, "HEAD", 200, NULL, NULL, 60 },
		{ 0, "GET", 200, NULL, NULL, 0 },
		{ 60, "POST", 200, NULL, NULL, 0 },
		{ 60, "GET", 404, NULL, NULL, 0 },
		{ 60, "GET", 206, NULL, NULL, 0 },
		{ 60, "GET", 200, "Cache-Control", "max-age=10", 10 },
		{ 60, "GET", 200, "Cache-Control", "public, max-age=600", 60 },
		{ 60, "GET", 200, "Cache-Control", "max-age=10, s-maxage=20", 20 },
		{ 60, "GET", 200, "Cache-Control", "max-age=0", 0 },
		{ 60, "GET", 200, "Cache-Control", "max-age=junk", 60 },
		{ 60, "GET", 200, "Cache-Control", "no-store", 0 },
		{ 60, "GET", 200, "Cache-Control", "private", 0 },
		{ 60, "GET", 200, "Cache-Control", "private=\"X\", max-age=30", 0 },
		{ 60, "GET", 200, "Cache-Control", "No-Store", 0 },
		{ 60, "GET", 200, "Cache-Control", "no-cache", 0 },
		{ 60, "GET", 200, "Set-Cookie", "a=b", 0 },
		{ 60, "GET", 200, "Vary", "Accept-Language", 60 },
		{ 60, "GET", 200, "Vary", "*", 0 },
		{ 60, "GET", 200, "Vary", "Accept-Language, Cookie", 60 },
		{ 60, "GET", 200, "Vary", "X-Tenant, *", 0 },
		{ 60, "GET", 200, "Vary", "a, b, c, d, e, f, g, h", 60 },
		{ 60, "GET", 200, "Vary", "a, b, c, d, e, f, g, h, i", 0 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsHttpFields) headers =
			cases[i].name != NULL ? headers_new(cases[i].name, cases[i].value, NULL)
					      : headers_new(NULL);
		g_auto(MsCacheResponseFacts) facts = facts_new();
		guint ttl;

		ms_gateway_cache_read_response(headers, &facts);
		ttl = ms_response_cache_ttl_for(cases[i].route_ttl,
						cases[i].method,
						cases[i].status,
						&facts);
		if (ttl != cases[i].expected)
			g_error("case %u (%s: %s): ttl %u, expected %u",
				i,
				cases[i].name,
				cases[i].value,
				ttl,
				cases[i].expected);
	}
}

static void
test_ttl_minus_age(void)
{
	MsCacheResponseFacts facts = facts_new();
	MsCacheResponseFacts stale = facts_new();

	facts.max_age_s = 30;
	facts.age_s = 25;
	stale.max_age_s = 30;
	stale.age_s = 40;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 5);
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &stale), ==, 0);
}

/* s-maxage wins over max-age; one that is not a number (-1) leaves max-age */
static void
test_ttl_shared_max_age(void)
{
	MsCacheResponseFacts facts = facts_new();

	facts.max_age_s = 10;
	facts.s_maxage_s = 20;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 20);
	facts.s_maxage_s = 0;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 0);
	facts.s_maxage_s = -1;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 10);
	facts.max_age_s = -1;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 60);
	/* an Age alone shortens nothing */
	facts.age_s = 50;
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 60);
}

static void
test_request_allows(void)
{
	struct {
		const char *name;
		const char *value;
		gboolean lookup;
		gboolean store;
	} cases[] = {
		{ NULL, NULL, TRUE, TRUE },
		{ "Cache-Control", "no-cache", FALSE, TRUE },
		{ "Cache-Control", "max-age=0, no-cache", FALSE, TRUE },
		{ "Pragma", "no-cache", FALSE, TRUE },
		{ "Cache-Control", "no-store", FALSE, FALSE },
		{ "Cache-Control", "max-stale", TRUE, TRUE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsHttpFields) headers = ms_http_fields_new();
		MsCacheRequestFacts facts;
		gboolean store = FALSE;
		if (cases[i].name != NULL)
			ms_http_fields_append(headers, cases[i].name, cases[i].value);
		ms_gateway_cache_read_request(headers, &facts);
		g_assert_cmpint(ms_response_cache_request_allows(&facts, &store),
				==,
				cases[i].lookup);
		g_assert_cmpint(store, ==, cases[i].store);
	}
}

static void
test_store_lookup(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024 * 1024);
	static const char *const headers[] = {
		"Content-Type",
		"application/json",
		"X-Request-ID",
		"upstream-id",
		"Connection",
		"close",
		"Age",
		"3",
		"Cache-Control",
		"max-age=100",
		NULL,
	};
	MsCacheResponseFacts facts = facts_new();
	const char *const *replay;
	g_autoptr(GBytes) body = g_bytes_new_static("{\"message\":\"Hello!\"}", 20);
	g_autoptr(MsCachedResponse) hit = NULL;
	g_autoptr(MsCachedResponse) expired = NULL;
	guint age = 0;

	facts.max_age_s = 100;
	facts.age_s = 3;
	g_assert_null(ms_response_cache_lookup(cache, "k", NULL, NULL, T0, &age));
	g_assert_true(store_answer(cache, "k", &facts, headers, body, 10));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 1);

	hit = ms_response_cache_lookup(cache, "k", NULL, NULL, T0 + 4 * SEC, &age);
	g_assert_nonnull(hit);
	g_assert_cmpuint(ms_cached_response_get_status(hit), ==, 200);
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(hit), body));
	/* the upstream's Age plus the time spent here */
	g_assert_cmpuint(age, ==, 7);
	replay = ms_cached_response_get_header_pairs(hit);
	g_assert_cmpstr(pairs_lookup(replay, "Content-Type"), ==, "application/json");
	g_assert_cmpstr(pairs_lookup(replay, "Cache-Control"), ==, "max-age=100");
	/* per-request and hop-by-hop headers are never replayed */
	g_assert_null(pairs_lookup(replay, "X-Request-ID"));
	g_assert_null(pairs_lookup(replay, "Connection"));
	g_assert_null(pairs_lookup(replay, "Age"));
	g_assert_cmpuint(g_strv_length((char **)replay), ==, 4);

	expired = ms_response_cache_lookup(cache, "k", NULL, NULL, T0 + 10 * SEC, NULL);
	g_assert_null(expired);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, 0);
}

static void
test_ttl_zero_not_stored(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024);
	MsCacheResponseFacts facts = facts_new();
	static const char *const headers[] = { NULL };

	g_assert_false(store_answer(cache, "k", &facts, headers, NULL, 0));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
}

static void
test_replace(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024 * 1024);
	MsCacheResponseFacts facts = facts_new();
	g_autoptr(GBytes) one = g_bytes_new_static("one", 3);
	g_autoptr(GBytes) two = g_bytes_new_static("two!", 4);
	g_autoptr(MsCachedResponse) old = NULL;
	g_autoptr(MsCachedResponse) hit = NULL;
	gsize size_one;

	store_answer(cache, "k", &facts, NULL, one, 10);
	size_one = ms_response_cache_get_size(cache);
	old = ms_response_cache_lookup(cache, "k", NULL, NULL, T0, NULL);
	store_answer(cache, "k", &facts, NULL, two, 10);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 1);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, size_one + 1);
	hit = ms_response_cache_lookup(cache, "k", NULL, NULL, T0, NULL);
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(hit), two));
	/* a reference taken before the replace stays valid */
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(old), one));
}

static void
test_lru_bytes(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(10 * 1024);
	static const char *const headers[] = { "Content-Type", "text/plain", NULL };
	MsCacheResponseFacts facts = facts_new();
	g_autofree char *kilobyte = g_malloc0(1000);
	g_autoptr(GBytes) body = g_bytes_new(kilobyte, 1000);
	g_autofree char *huge_data = g_malloc0(20 * 1024);
	g_autoptr(GBytes) huge = g_bytes_new(huge_data, 20 * 1024);
	g_autoptr(MsCachedResponse) first = NULL;

	for (guint i = 0; i < 100; i++) {
		g_autofree char *key = g_strdup_printf("key-%u", i);
		g_assert_true(store_answer(cache, key, &facts, headers, body, 60));
		g_assert_cmpuint(ms_response_cache_get_size(cache), <=, 10 * 1024);
		/* keep key-0 in use: it must survive as the most recently used */
		g_clear_pointer(&first, ms_cached_response_unref);
		first = ms_response_cache_lookup(cache, "key-0", NULL, NULL, T0, NULL);
		g_assert_nonnull(first);
	}
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), <, 10);
	g_assert_null(ms_response_cache_lookup(cache, "key-1", NULL, NULL, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "key-90", NULL, NULL, T0, NULL));
	g_clear_pointer(&first, ms_cached_response_unref);
	first = ms_response_cache_lookup(cache, "key-99", NULL, NULL, T0, NULL);
	g_assert_nonnull(first);

	/* bigger than the whole cache: not stored, nothing evicted */
	g_assert_false(store_answer(cache, "huge", &facts, headers, huge, 60));
	g_assert_null(ms_response_cache_lookup(cache, "huge", NULL, NULL, T0, NULL));
	g_clear_pointer(&first, ms_cached_response_unref);
	first = ms_response_cache_lookup(cache, "key-0", NULL, NULL, T0, NULL);
	g_assert_nonnull(first);

	ms_response_cache_clear(cache);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, 0);
	/* a hit survives clear */
	g_assert_cmpuint(g_bytes_get_size(ms_cached_response_get_body(first)), ==, 1000);
}

typedef struct {
	MsResponseCache *cache;
	const char *const *headers;
	const MsCacheResponseFacts *facts;
	GBytes *body;
	guint id;
} ThreadData;

static gpointer
hammer(gpointer user_data)
{
	ThreadData *data = user_data;
	for (guint i = 0; i < 2000; i++) {
		g_autofree char *key = g_strdup_printf("k%u", (i * 7 + data->id) % 50);
		MsCachedResponse *hit =
			ms_response_cache_lookup(data->cache, key, NULL, NULL, T0, NULL);
		if (hit != NULL) {
			g_assert_cmpuint(g_bytes_get_size(ms_cached_response_get_body(hit)),
					 ==,
					 100);
			ms_cached_response_unref(hit);
		} else {
			store_answer(data->cache, key, data->facts, data->headers, data->body, 60);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(4096);
	static const char *const headers[] = { "Content-Type", "text/plain", NULL };
	MsCacheResponseFacts facts = facts_new();
	g_autofree char *data = g_malloc0(100);
	g_autoptr(GBytes) body = g_bytes_new(data, 100);
	ThreadData threads_data[4];
	GThread *threads[4];

	for (guint i = 0; i < 4; i++) {
		threads_data[i] = (ThreadData){ cache, headers, &facts, body, i };
		threads[i] = g_thread_new("cache", hammer, &threads_data[i]);
	}
	for (guint i = 0; i < 4; i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(ms_response_cache_get_size(cache), <=, 4096);
}

/* RFC 9111 section 4.1: an answer that varies on a field is only a hit for the same value */
static void
test_vary(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(64 * 1024);
	char *vary_names[] = { "x-tenant", "accept-language", NULL };
	MsCacheResponseFacts facts = facts_new();
	static const char *const tenant_a[] = { "X-Tenant", "a", NULL };
	static const char *const tenant_b[] = { "X-Tenant", "b", NULL };
	static const char *const no_tenant[] = { NULL };
	static const char *const empty_tenant[] = { "X-Tenant", "", NULL };
	static const char *const tenant_a_th[] = { "X-Tenant", "a", "Accept-Language", "th", NULL };
	g_autoptr(GBytes) body = g_bytes_new_static("a", 1);
	g_autoptr(MsCachedResponse) hit = NULL;

	facts.vary_names = vary_names;
	g_assert_true(ms_response_cache_store(cache,
					      "k",
					      pairs_lookup,
					      tenant_a,
					      200,
					      &facts,
					      NULL,
					      body,
					      60,
					      T0));
	hit = ms_response_cache_lookup(cache, "k", pairs_lookup, tenant_a, T0, NULL);
	g_assert_nonnull(hit);
	g_assert_null(ms_response_cache_lookup(cache, "k", pairs_lookup, tenant_b, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "k", pairs_lookup, no_tenant, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "k", pairs_lookup, tenant_a_th, T0, NULL));
	/* a request without any field is one without the varying ones */
	g_assert_null(ms_response_cache_lookup(cache, "k", NULL, NULL, T0, NULL));

	/* each variant has its own entry; no field and an empty one are not the same request */
	g_assert_true(ms_response_cache_store(cache,
					      "k",
					      pairs_lookup,
					      no_tenant,
					      200,
					      &facts,
					      NULL,
					      body,
					      60,
					      T0));
	g_assert_null(ms_response_cache_lookup(cache, "k", pairs_lookup, empty_tenant, T0, NULL));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 2);
	g_clear_pointer(&hit, ms_cached_response_unref);
	hit = ms_response_cache_lookup(cache, "k", pairs_lookup, no_tenant, T0, NULL);
	g_assert_nonnull(hit);
	g_clear_pointer(&hit, ms_cached_response_unref);
	hit = ms_response_cache_lookup(cache, "k", pairs_lookup, tenant_a, T0, NULL);
	g_assert_nonnull(hit);
}

/* the service's side: libsoup's headers to the facts the store decides on */
static void
test_read_response(void)
{
	g_autoptr(MsHttpFields) headers = headers_new("Cache-Control",
						      "max-age=10, s-maxage=junk",
						      "Cache-Control",
						      "Private",
						      "Age",
						      "7",
						      "Vary",
						      "X-Tenant, Accept-Language",
						      "Vary",
						      "Cookie",
						      NULL);
	g_autoptr(MsHttpFields) plain = headers_new("Set-Cookie", "a=b", "Age", "x", NULL);
	g_auto(MsCacheResponseFacts) facts = facts_new();
	g_auto(MsCacheResponseFacts) plain_facts = facts_new();
	const char *const expected_vary[] = { "x-tenant", "accept-language", "cookie", NULL };

	ms_gateway_cache_read_response(headers, &facts);
	/* a field's lines are one list; directive names are in any case */
	g_assert_true(facts.private);
	g_assert_false(facts.no_store);
	g_assert_false(facts.no_cache);
	g_assert_cmpint(facts.max_age_s, ==, 10);
	g_assert_cmpint(facts.s_maxage_s, ==, -1);
	g_assert_cmpint(facts.age_s, ==, 7);
	g_assert_false(facts.has_set_cookie);
	g_assert_true(g_strv_equal((const char *const *)facts.vary_names, expected_vary));

	ms_gateway_cache_read_response(plain, &plain_facts);
	g_assert_true(plain_facts.has_set_cookie);
	g_assert_cmpint(plain_facts.max_age_s, ==, -1);
	g_assert_cmpint(plain_facts.s_maxage_s, ==, -1);
	g_assert_cmpint(plain_facts.age_s, ==, -1);
	g_assert_null(plain_facts.vary_names);
}

/* the store reads a request's Vary fields through the service's lookup */
static void
test_vary_through_service(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(64 * 1024);
	g_autoptr(MsHttpFields) answer =
		headers_new("Vary", "x-tenant", "Content-Type", "text/plain", "Date", "now", NULL);
	g_autoptr(MsHttpFields) tenant_a = headers_new("X-Tenant", "a", NULL);
	g_autoptr(MsHttpFields) tenant_ab = headers_new("X-Tenant", "a", "x-tenant", "b", NULL);
	g_autoptr(MsHttpFields) tenant_a_comma_b = headers_new("X-Tenant", "a, b", NULL);
	g_auto(MsCacheResponseFacts) facts = facts_new();
	g_autoptr(GBytes) body = g_bytes_new_static("a", 1);
	g_autoptr(MsCachedResponse) hit = NULL;
	static const char *const stored[] = { "Content-Type", "text/plain", "Date", "now", NULL };

	g_assert_cmpstr(ms_gateway_cache_lookup_header(tenant_ab, "X-TENANT"), ==, "a, b");
	g_assert_null(ms_gateway_cache_lookup_header(tenant_a, "Accept-Language"));

	ms_gateway_cache_read_response(answer, &facts);
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, &facts), ==, 60);
	g_assert_true(ms_response_cache_store(cache,
					      "k",
					      ms_gateway_cache_lookup_header,
					      tenant_ab,
					      200,
					      &facts,
					      stored,
					      body,
					      60,
					      T0));
	g_assert_null(ms_response_cache_lookup(cache,
					       "k",
					       ms_gateway_cache_lookup_header,
					       tenant_a,
					       T0,
					       NULL));
	/* two lines of a field compare as the one line they join into */
	hit = ms_response_cache_lookup(cache,
				       "k",
				       ms_gateway_cache_lookup_header,
				       tenant_a_comma_b,
				       T0,
				       NULL);
	g_assert_nonnull(hit);
	/* Date belongs to one answer: the store leaves it out */
	g_assert_true(g_strv_equal(ms_cached_response_get_header_pairs(hit),
				   (const char *const[]){ "Content-Type", "text/plain", NULL }));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/response-cache/key", test_key);
	g_test_add_func("/response-cache/vary", test_vary);
	g_test_add_func("/response-cache/ttl", test_ttl);
	g_test_add_func("/response-cache/ttl-minus-age", test_ttl_minus_age);
	g_test_add_func("/response-cache/ttl-shared-max-age", test_ttl_shared_max_age);
	g_test_add_func("/response-cache/request-allows", test_request_allows);
	g_test_add_func("/response-cache/store-lookup", test_store_lookup);
	g_test_add_func("/response-cache/ttl-zero", test_ttl_zero_not_stored);
	g_test_add_func("/response-cache/replace", test_replace);
	g_test_add_func("/response-cache/lru-bytes", test_lru_bytes);
	g_test_add_func("/response-cache/threads", test_threads);
	g_test_add_func("/response-cache/read-response", test_read_response);
	g_test_add_func("/response-cache/vary-through-service", test_vary_through_service);
	return g_test_run();
}

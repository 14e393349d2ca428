#include "config.h"

#include <string.h>

#include "gateway/core/policy/ms-response-cache.h"
#include "ms-test-utils.h"

#define SEC G_USEC_PER_SEC
#define T0  (1000 * SEC)

static SoupMessageHeaders *
headers_new(const char *first_name, ...)
{
	SoupMessageHeaders *headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	const char *name = first_name;
	va_list args;

	va_start(args, first_name);
	while (name != NULL) {
		soup_message_headers_append(headers, name, va_arg(args, const char *));
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
		g_autoptr(SoupMessageHeaders) headers =
			cases[i].name != NULL ? headers_new(cases[i].name, cases[i].value, NULL)
					      : headers_new(NULL);
		guint ttl = ms_response_cache_ttl_for(cases[i].route_ttl,
						      cases[i].method,
						      cases[i].status,
						      headers);
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
	g_autoptr(SoupMessageHeaders) headers =
		headers_new("Cache-Control", "max-age=30", "Age", "25", NULL);
	g_autoptr(SoupMessageHeaders) stale =
		headers_new("Cache-Control", "max-age=30", "Age", "40", NULL);

	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, headers), ==, 5);
	g_assert_cmpuint(ms_response_cache_ttl_for(60, "GET", 200, stale), ==, 0);
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
		g_autoptr(SoupMessageHeaders) headers =
			soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
		gboolean store = FALSE;
		if (cases[i].name != NULL)
			soup_message_headers_append(headers, cases[i].name, cases[i].value);
		g_assert_cmpint(ms_response_cache_request_allows(headers, &store),
				==,
				cases[i].lookup);
		g_assert_cmpint(store, ==, cases[i].store);
	}
}

static void
test_store_lookup(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024 * 1024);
	g_autoptr(SoupMessageHeaders) headers = headers_new("Content-Type",
							    "application/json",
							    "X-Request-ID",
							    "upstream-id",
							    "Connection",
							    "close",
							    "Age",
							    "3",
							    "Cache-Control",
							    "max-age=100",
							    NULL);
	g_autoptr(SoupMessageHeaders) replay =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	g_autoptr(GBytes) body = g_bytes_new_static("{\"message\":\"Hello!\"}", 20);
	g_autoptr(MsCachedResponse) hit = NULL;
	g_autoptr(MsCachedResponse) expired = NULL;
	guint age = 0;

	g_assert_null(ms_response_cache_lookup(cache, "k", NULL, T0, &age));
	g_assert_true(ms_response_cache_store(cache, "k", NULL, 200, headers, body, 10, T0));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 1);

	hit = ms_response_cache_lookup(cache, "k", NULL, T0 + 4 * SEC, &age);
	g_assert_nonnull(hit);
	g_assert_cmpuint(ms_cached_response_get_status(hit), ==, 200);
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(hit), body));
	/* the upstream's Age plus the time spent here */
	g_assert_cmpuint(age, ==, 7);
	ms_cached_response_apply_headers(hit, replay);
	g_assert_cmpstr(soup_message_headers_get_one(replay, "Content-Type"),
			==,
			"application/json");
	g_assert_cmpstr(soup_message_headers_get_one(replay, "Cache-Control"), ==, "max-age=100");
	/* per-request and hop-by-hop headers are never replayed */
	g_assert_null(soup_message_headers_get_one(replay, "X-Request-ID"));
	g_assert_null(soup_message_headers_get_one(replay, "Connection"));
	g_assert_null(soup_message_headers_get_one(replay, "Age"));

	expired = ms_response_cache_lookup(cache, "k", NULL, T0 + 10 * SEC, NULL);
	g_assert_null(expired);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, 0);
}

static void
test_ttl_zero_not_stored(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024);
	g_autoptr(SoupMessageHeaders) headers = headers_new(NULL);

	g_assert_false(ms_response_cache_store(cache, "k", NULL, 200, headers, NULL, 0, T0));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
}

static void
test_replace(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(1024 * 1024);
	g_autoptr(SoupMessageHeaders) headers = headers_new(NULL);
	g_autoptr(GBytes) one = g_bytes_new_static("one", 3);
	g_autoptr(GBytes) two = g_bytes_new_static("two!", 4);
	g_autoptr(MsCachedResponse) old = NULL;
	g_autoptr(MsCachedResponse) hit = NULL;
	gsize size_one;

	ms_response_cache_store(cache, "k", NULL, 200, headers, one, 10, T0);
	size_one = ms_response_cache_get_size(cache);
	old = ms_response_cache_lookup(cache, "k", NULL, T0, NULL);
	ms_response_cache_store(cache, "k", NULL, 200, headers, two, 10, T0);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 1);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, size_one + 1);
	hit = ms_response_cache_lookup(cache, "k", NULL, T0, NULL);
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(hit), two));
	/* a reference taken before the replace stays valid */
	g_assert_true(g_bytes_equal(ms_cached_response_get_body(old), one));
}

static void
test_lru_bytes(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(10 * 1024);
	g_autoptr(SoupMessageHeaders) headers = headers_new("Content-Type", "text/plain", NULL);
	g_autofree char *kilobyte = g_malloc0(1000);
	g_autoptr(GBytes) body = g_bytes_new(kilobyte, 1000);
	g_autofree char *huge_data = g_malloc0(20 * 1024);
	g_autoptr(GBytes) huge = g_bytes_new(huge_data, 20 * 1024);
	g_autoptr(MsCachedResponse) first = NULL;

	for (guint i = 0; i < 100; i++) {
		g_autofree char *key = g_strdup_printf("key-%u", i);
		g_assert_true(
			ms_response_cache_store(cache, key, NULL, 200, headers, body, 60, T0));
		g_assert_cmpuint(ms_response_cache_get_size(cache), <=, 10 * 1024);
		/* keep key-0 in use: it must survive as the most recently used */
		g_clear_pointer(&first, ms_cached_response_unref);
		first = ms_response_cache_lookup(cache, "key-0", NULL, T0, NULL);
		g_assert_nonnull(first);
	}
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), <, 10);
	g_assert_null(ms_response_cache_lookup(cache, "key-1", NULL, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "key-90", NULL, T0, NULL));
	g_clear_pointer(&first, ms_cached_response_unref);
	first = ms_response_cache_lookup(cache, "key-99", NULL, T0, NULL);
	g_assert_nonnull(first);

	/* bigger than the whole cache: not stored, nothing evicted */
	g_assert_false(ms_response_cache_store(cache, "huge", NULL, 200, headers, huge, 60, T0));
	g_assert_null(ms_response_cache_lookup(cache, "huge", NULL, T0, NULL));
	g_clear_pointer(&first, ms_cached_response_unref);
	first = ms_response_cache_lookup(cache, "key-0", NULL, T0, NULL);
	g_assert_nonnull(first);

	ms_response_cache_clear(cache);
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 0);
	g_assert_cmpuint(ms_response_cache_get_size(cache), ==, 0);
	/* a hit survives clear */
	g_assert_cmpuint(g_bytes_get_size(ms_cached_response_get_body(first)), ==, 1000);
}

typedef struct {
	MsResponseCache *cache;
	SoupMessageHeaders *headers;
	GBytes *body;
	guint id;
} ThreadData;

static gpointer
hammer(gpointer user_data)
{
	ThreadData *data = user_data;
	for (guint i = 0; i < 2000; i++) {
		g_autofree char *key = g_strdup_printf("k%u", (i * 7 + data->id) % 50);
		MsCachedResponse *hit = ms_response_cache_lookup(data->cache, key, NULL, T0, NULL);
		if (hit != NULL) {
			g_assert_cmpuint(g_bytes_get_size(ms_cached_response_get_body(hit)),
					 ==,
					 100);
			ms_cached_response_unref(hit);
		} else {
			ms_response_cache_store(data->cache,
						key,
						NULL,
						200,
						data->headers,
						data->body,
						60,
						T0);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(4096);
	g_autoptr(SoupMessageHeaders) headers = headers_new("Content-Type", "text/plain", NULL);
	g_autofree char *data = g_malloc0(100);
	g_autoptr(GBytes) body = g_bytes_new(data, 100);
	ThreadData threads_data[4];
	GThread *threads[4];

	for (guint i = 0; i < 4; i++) {
		threads_data[i] = (ThreadData){ cache, headers, body, i };
		threads[i] = g_thread_new("cache", hammer, &threads_data[i]);
	}
	for (guint i = 0; i < 4; i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(ms_response_cache_get_size(cache), <=, 4096);
}

/* RFC 9111 §4.1: an answer that varies on a field is only a hit for the same value */
static void
test_vary(void)
{
	g_autoptr(MsResponseCache) cache = ms_response_cache_new(64 * 1024);
	g_autoptr(SoupMessageHeaders) headers =
		headers_new("Vary", "X-Tenant, Accept-Language", NULL);
	g_autoptr(SoupMessageHeaders) tenant_a = headers_new("X-Tenant", "a", NULL);
	g_autoptr(SoupMessageHeaders) tenant_b = headers_new("X-Tenant", "b", NULL);
	g_autoptr(SoupMessageHeaders) no_tenant = headers_new(NULL);
	g_autoptr(SoupMessageHeaders) empty_tenant = headers_new("X-Tenant", "", NULL);
	g_autoptr(SoupMessageHeaders) tenant_a_th =
		headers_new("X-Tenant", "a", "Accept-Language", "th", NULL);
	g_autoptr(GBytes) body = g_bytes_new_static("a", 1);
	g_autoptr(MsCachedResponse) hit = NULL;

	g_assert_true(ms_response_cache_store(cache, "k", tenant_a, 200, headers, body, 60, T0));
	hit = ms_response_cache_lookup(cache, "k", tenant_a, T0, NULL);
	g_assert_nonnull(hit);
	g_assert_null(ms_response_cache_lookup(cache, "k", tenant_b, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "k", no_tenant, T0, NULL));
	g_assert_null(ms_response_cache_lookup(cache, "k", tenant_a_th, T0, NULL));

	/* each variant has its own entry; no field and an empty one are not the same request */
	g_assert_true(ms_response_cache_store(cache, "k", no_tenant, 200, headers, body, 60, T0));
	g_assert_null(ms_response_cache_lookup(cache, "k", empty_tenant, T0, NULL));
	g_assert_cmpuint(ms_response_cache_get_n_entries(cache), ==, 2);
	g_clear_pointer(&hit, ms_cached_response_unref);
	hit = ms_response_cache_lookup(cache, "k", no_tenant, T0, NULL);
	g_assert_nonnull(hit);
	g_clear_pointer(&hit, ms_cached_response_unref);
	hit = ms_response_cache_lookup(cache, "k", tenant_a, T0, NULL);
	g_assert_nonnull(hit);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/response-cache/key", test_key);
	g_test_add_func("/response-cache/vary", test_vary);
	g_test_add_func("/response-cache/ttl", test_ttl);
	g_test_add_func("/response-cache/ttl-minus-age", test_ttl_minus_age);
	g_test_add_func("/response-cache/request-allows", test_request_allows);
	g_test_add_func("/response-cache/store-lookup", test_store_lookup);
	g_test_add_func("/response-cache/ttl-zero", test_ttl_zero_not_stored);
	g_test_add_func("/response-cache/replace", test_replace);
	g_test_add_func("/response-cache/lru-bytes", test_lru_bytes);
	g_test_add_func("/response-cache/threads", test_threads);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-cache.h"

#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-gateway.h"

/*
 * The cache step, on routes with cache_ttl_s: a hit is answered from
 * MsResponseCache before the proxy; a miss is watched through the proxy's
 * response tap and stored when the upstream's answer allows it
 * (ms_response_cache_ttl_for()). What is stored are the upstream's headers,
 * never the gateway's own (X-Request-ID, CORS, Age, X-Cache).
 *
 * The HTTP grammar is here, with libsoup's parsers: Cache-Control, Pragma and
 * Vary become MsCacheRequestFacts and MsCacheResponseFacts, and the store in
 * core decides on those.
 */

typedef struct {
	GObject *owner; /* owned: keeps the cache alive */
	MsResponseCache *cache;
	char *key;
	/*
	 * as they went upstream, for the Vary values: the request's own, which
	 * last longer than any call of the tap
	 */
	MsHttpFields *request_headers;
	guint route_ttl_s;
	guint ttl_s;
	guint status;
	MsCacheResponseFacts facts;
	GPtrArray *header_pairs; /* name, value, ...: what the store would keep */
	GByteArray *body;
	gsize limit;
} CacheFill;

/* delta-seconds (RFC 9111 section 1.2.2): digits only, else -1, as for none */
static gint64
parse_delta_seconds(const char *str)
{
	char *end = NULL;
	guint64 value;

	if (str == NULL || !g_ascii_isdigit(*str))
		return -1;
	value = g_ascii_strtoull(str, &end, 10);
	if (*end != '\0')
		return -1;
	return (gint64)MIN(value, (guint64)G_MAXINT64);
}

/* the directives by name, any case; %NULL without the field */
static GHashTable *
parse_cache_control(MsHttpFields *headers)
{
	const char *value = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_CACHE_CONTROL);

	return value != NULL ? soup_header_parse_param_list(value) : NULL;
}

static gboolean
has_directive(GHashTable *directives, const char *name)
{
	return directives != NULL && g_hash_table_contains(directives, name);
}

/**
 * ms_gateway_cache_read_request:
 * @facts: (out caller-allocates): what the request's Cache-Control and Pragma ask
 */
void
ms_gateway_cache_read_request(MsHttpFields *headers, MsCacheRequestFacts *facts)
{
	g_autoptr(GHashTable) directives = parse_cache_control(headers);
	const char *pragma = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_PRAGMA);

	facts->no_store = has_directive(directives, "no-store");
	/* the HTTP/1.0 spelling of the same request (RFC 9111 section 5.4) */
	facts->no_cache = has_directive(directives, "no-cache") ||
			  (pragma != NULL && soup_header_contains(pragma, "no-cache"));
}

/* the names in a Vary field, lower-case: the store compares them as they are */
static char **
parse_vary(const char *vary)
{
	GSList *items = soup_header_parse_list(vary);
	GPtrArray *names = g_ptr_array_new();

	for (GSList *l = items; l != NULL; l = l->next)
		g_ptr_array_add(names, g_ascii_strdown(l->data, -1));
	g_ptr_array_add(names, NULL);
	soup_header_free_list(items);
	return (char **)g_ptr_array_free(names, FALSE);
}

/**
 * ms_gateway_cache_read_response:
 * @facts: (out caller-allocates): what the answer says about its storing; free
 *   with ms_cache_response_facts_clear()
 */
void
ms_gateway_cache_read_response(MsHttpFields *headers, MsCacheResponseFacts *facts)
{
	g_autoptr(GHashTable) directives = parse_cache_control(headers);
	const char *vary = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_VARY);

	ms_cache_response_facts_init(facts);
	facts->no_store = has_directive(directives, "no-store");
	facts->private = has_directive(directives, "private");
	facts->no_cache = has_directive(directives, "no-cache");
	if (directives != NULL) {
		facts->s_maxage_s =
			parse_delta_seconds(g_hash_table_lookup(directives, "s-maxage"));
		facts->max_age_s = parse_delta_seconds(g_hash_table_lookup(directives, "max-age"));
	}
	facts->age_s = parse_delta_seconds(ms_http_fields_get_one_id(headers, MS_HTTP_FIELD_AGE));
	facts->has_set_cookie =
		ms_http_fields_get_one_id(headers, MS_HTTP_FIELD_SET_COOKIE) != NULL;
	if (vary != NULL)
		facts->vary_names = parse_vary(vary);
}

/**
 * ms_gateway_cache_lookup_header:
 * @headers: a #MsHttpFields
 *
 * The #MsHeaderLookupFunc of the store over the gateway's header table.
 */
const char *
ms_gateway_cache_lookup_header(gconstpointer headers, const char *name)
{
	/* get_list joins a repeated field's lines, as Vary values compare (RFC 9111 section 4.1) */
	return ms_http_fields_get_list((MsHttpFields *)headers, name);
}

static void
cache_fill_free(CacheFill *fill)
{
	g_object_unref(fill->owner);
	g_free(fill->key);
	ms_cache_response_facts_clear(&fill->facts);
	g_clear_pointer(&fill->header_pairs, g_ptr_array_unref);
	g_clear_pointer(&fill->body, g_byte_array_unref);
	g_free(fill);
}

static gboolean
cache_fill_head(gpointer data, guint status, MsHttpFields *upstream_headers)
{
	CacheFill *fill = data;
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	/* only a 200 is ever stored: another's fields are not worth parsing */
	if (status != SOUP_STATUS_OK)
		return FALSE;
	ms_gateway_cache_read_response(upstream_headers, &fill->facts);
	fill->ttl_s = ms_response_cache_ttl_for(fill->route_ttl_s, "GET", status, &fill->facts);
	if (fill->ttl_s == 0)
		return FALSE;
	fill->status = status;
	/* a copy: the upstream's headers object is reused for the next response */
	fill->header_pairs = g_ptr_array_new_with_free_func(g_free);
	ms_http_fields_iter_init(&iter, upstream_headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (!ms_response_cache_header_is_stored(field->name))
			continue;
		g_ptr_array_add(fill->header_pairs, g_strdup(field->name));
		g_ptr_array_add(fill->header_pairs, g_strdup(field->value));
	}
	g_ptr_array_add(fill->header_pairs, NULL);
	fill->body = g_byte_array_new();
	return TRUE;
}

static void
cache_fill_body(gpointer data, const char *chunk, gsize length)
{
	CacheFill *fill = data;

	if (fill->body == NULL)
		return;
	if (fill->body->len + length > fill->limit) {
		/* larger than the cache could ever hold: stop copying */
		g_clear_pointer(&fill->body, g_byte_array_unref);
		return;
	}
	g_byte_array_append(fill->body, (const guint8 *)chunk, length);
}

static void
cache_fill_done(gpointer data)
{
	CacheFill *fill = data;
	g_autoptr(GBytes) body = NULL;

	if (fill->body == NULL || fill->header_pairs == NULL)
		return;
	body = g_byte_array_free_to_bytes(g_steal_pointer(&fill->body));
	ms_response_cache_store(fill->cache,
				fill->key,
				ms_gateway_cache_lookup_header,
				fill->request_headers,
				fill->status,
				&fill->facts,
				(const char *const *)fill->header_pairs->pdata,
				body,
				fill->ttl_s,
				g_get_monotonic_time());
}

static const MsGatewayResponseTap cache_fill_tap = {
	.head = cache_fill_head,
	.body = cache_fill_body,
	.done = cache_fill_done,
};

/* the stored answer; HEAD gets the same head, and the front leaves the body out */
static void
send_hit(MsGatewayRequest *request, MsCachedResponse *hit, guint age_s)
{
	MsHttpFields *headers = ms_gateway_request_get_response_headers(request);
	const char *const *pairs = ms_cached_response_get_header_pairs(hit);
	char age[16];

	for (guint i = 0; pairs[i] != NULL; i += 2)
		ms_http_fields_append(headers, pairs[i], pairs[i + 1]);
	g_snprintf(age, sizeof(age), "%u", age_s);
	ms_http_fields_replace_id(headers, MS_HTTP_FIELD_AGE, age);
	ms_http_fields_replace_id(headers, MS_HTTP_FIELD_X_CACHE, "HIT");
	ms_gateway_request_respond(request,
				   ms_cached_response_get_status(hit),
				   ms_cached_response_get_body(hit));
}

/**
 * ms_policy_cache_run:
 *
 * Answers a GET/HEAD from the cache (X-Cache: HIT, Age), or marks it X-Cache:
 * MISS and watches the upstream's answer to store it; the key holds the
 * authenticated user on routes with auth. The request records which.
 *
 * Returns: %MS_POLICY_ANSWERED when answered from the cache
 */
MsPolicyOutcome
ms_policy_cache_run(MsGatewayRequest *request, MsPolicyState *state)
{
	/* kept alive (referenced) while an answer is being stored: it owns the cache */
	GObject *owner = G_OBJECT(ms_gateway_worker_get_gateway(request->worker));
	gsize max_bytes;
	MsResponseCache *cache = ms_policy_state_get_cache(state, &max_bytes);
	const char *user = ms_gateway_request_get_user(request);
	const MsRoute *route = ms_gateway_request_get_route(request);
	const char *method = ms_gateway_request_get_method(request);
	MsHttpFields *request_headers = ms_gateway_request_get_headers(request);
	g_autofree char *key = NULL;
	const char *language;
	MsCacheRequestFacts request_facts;
	gboolean may_store = TRUE;
	CacheFill *fill;

	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
		return MS_POLICY_PASS;
	/*
	 * the language is the one negotiated from every Accept-Language line, and
	 * the upstream is asked for exactly that one: the key and the answer it
	 * names are selected by the same value
	 */
	language = ms_gateway_request_get_language(request);
	ms_http_fields_replace_id(request_headers, MS_HTTP_FIELD_ACCEPT_LANGUAGE, language);
	/* HEAD is answered from GET's entry; only GET answers are stored */
	key = ms_response_cache_make_key("GET",
					 ms_gateway_request_get_path(request),
					 ms_gateway_request_get_query(request),
					 language,
					 route->auth != MS_ROUTE_AUTH_NONE ? user : NULL);
	ms_gateway_cache_read_request(request_headers, &request_facts);
	if (ms_response_cache_request_allows(&request_facts, &may_store)) {
		guint age_s = 0;
		g_autoptr(MsCachedResponse) hit =
			ms_response_cache_lookup(cache,
						 key,
						 ms_gateway_cache_lookup_header,
						 request_headers,
						 g_get_monotonic_time(),
						 &age_s);
		if (hit != NULL) {
			request->record.cache = MS_CACHE_OUTCOME_HIT;
			send_hit(request, hit, age_s);
			return MS_POLICY_ANSWERED;
		}
	}
	request->record.cache = MS_CACHE_OUTCOME_MISS;
	ms_http_fields_replace_id(ms_gateway_request_get_response_headers(request),
				  MS_HTTP_FIELD_X_CACHE,
				  "MISS");
	if (!may_store || method != SOUP_METHOD_GET)
		return MS_POLICY_PASS;
	fill = g_new0(CacheFill, 1);
	fill->owner = g_object_ref(owner);
	fill->cache = cache;
	fill->key = g_steal_pointer(&key);
	fill->request_headers = request_headers;
	fill->route_ttl_s = route->cache_ttl_s;
	fill->limit = max_bytes;
	ms_cache_response_facts_init(&fill->facts);
	ms_gateway_request_set_tap(request, &cache_fill_tap, fill, (GDestroyNotify)cache_fill_free);
	return MS_POLICY_PASS;
}

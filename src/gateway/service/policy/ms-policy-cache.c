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
 */

typedef struct {
	GObject *owner; /* owned: keeps the cache alive */
	MsResponseCache *cache;
	char *key;
	SoupMessageHeaders *request_headers; /* as they went upstream: for the Vary values */
	guint route_ttl_s;
	guint ttl_s;
	guint status;
	SoupMessageHeaders *headers;
	GByteArray *body;
	gsize limit;
} CacheFill;

static void
cache_fill_free(CacheFill *fill)
{
	g_object_unref(fill->owner);
	g_free(fill->key);
	soup_message_headers_unref(fill->request_headers);
	g_clear_pointer(&fill->headers, soup_message_headers_unref);
	g_clear_pointer(&fill->body, g_byte_array_unref);
	g_free(fill);
}

static gboolean
cache_fill_head(gpointer data, guint status, SoupMessageHeaders *upstream_headers)
{
	CacheFill *fill = data;
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	fill->ttl_s = ms_response_cache_ttl_for(fill->route_ttl_s, "GET", status, upstream_headers);
	if (fill->ttl_s == 0)
		return FALSE;
	fill->status = status;
	/* a copy: the upstream's headers object is reused for the next response */
	fill->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	soup_message_headers_iter_init(&iter, upstream_headers);
	while (soup_message_headers_iter_next(&iter, &name, &value))
		soup_message_headers_append(fill->headers, name, value);
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

	if (fill->body == NULL || fill->headers == NULL)
		return;
	body = g_byte_array_free_to_bytes(g_steal_pointer(&fill->body));
	ms_response_cache_store(fill->cache,
				fill->key,
				fill->request_headers,
				fill->status,
				fill->headers,
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
	SoupMessageHeaders *headers = ms_gateway_request_get_response_headers(request);
	char age[16];

	g_snprintf(age, sizeof(age), "%u", age_s);
	ms_cached_response_apply_headers(hit, headers);
	soup_message_headers_replace(headers, "Age", age);
	soup_message_headers_replace(headers, "X-Cache", "HIT");
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
	SoupMessageHeaders *request_headers = ms_gateway_request_get_headers(request);
	g_autofree char *key = NULL;
	const char *language;
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
	soup_message_headers_replace(request_headers, "Accept-Language", language);
	/* HEAD is answered from GET's entry; only GET answers are stored */
	key = ms_response_cache_make_key("GET",
					 ms_gateway_request_get_path(request),
					 ms_gateway_request_get_query(request),
					 language,
					 route->auth != MS_ROUTE_AUTH_NONE ? user : NULL);
	if (ms_response_cache_request_allows(request_headers, &may_store)) {
		guint age_s = 0;
		g_autoptr(MsCachedResponse) hit = ms_response_cache_lookup(cache,
									   key,
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
	soup_message_headers_replace(ms_gateway_request_get_response_headers(request),
				     "X-Cache",
				     "MISS");
	if (!may_store || method != SOUP_METHOD_GET)
		return MS_POLICY_PASS;
	fill = g_new0(CacheFill, 1);
	fill->owner = g_object_ref(owner);
	fill->cache = cache;
	fill->key = g_steal_pointer(&key);
	fill->request_headers = soup_message_headers_ref(request_headers);
	fill->route_ttl_s = route->cache_ttl_s;
	fill->limit = max_bytes;
	ms_gateway_request_set_tap(request, &cache_fill_tap, fill, (GDestroyNotify)cache_fill_free);
	return MS_POLICY_PASS;
}

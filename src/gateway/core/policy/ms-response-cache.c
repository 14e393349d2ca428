#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/core/policy/ms-response-cache.h"

#include "common/ms-http-header.h"

/*
 * A small shared HTTP cache for the gateway (RFC 9111, the parts we need):
 *
 * - the key is method, path, query, the negotiated language and, on
 *   authenticated routes, the user: one user's answer is never served to
 *   another;
 * - an answer that names fields in Vary is stored under that key plus the
 *   request's values of those fields (RFC 9111 §4.1): each variant has an
 *   entry of its own, and a request whose values differ is a miss, so
 *   whatever selected an answer upstream selects it here too. Which fields a
 *   key varies on is remembered from its last stored answer;
 * - only 200 answers to GET/HEAD are stored, for min(route ttl, s-maxage or
 *   max-age - Age); never with no-store, private, no-cache, Set-Cookie,
 *   Vary: * or a Vary of more than MAX_VARY fields;
 * - a client's "Cache-Control: no-cache" (or Pragma) skips the lookup and
 *   "no-store" also skips the store;
 * - bounded in bytes, least recently used out first.
 *
 * Thread-safety: every call takes one GMutex; an MsCachedResponse is immutable
 * and atomically reference counted, so a hit can be sent from any thread after
 * the lock is dropped. One cache shared by all workers, or one per worker, both work.
 */

/* what an entry costs besides its strings and body */
#define ENTRY_OVERHEAD 128
/* what an answer may vary on and still be stored */
#define MAX_VARY 8

struct _MsCachedResponse {
	guint status;
	GBytes *body;
	GPtrArray *headers; /* name, value, name, value, ... */
};

typedef struct {
	GList link; /* in lru */
	char *key;
	MsCachedResponse *response;
	gint64 stored_us;
	gint64 expires_us;
	guint initial_age_s;
	gsize size;
	char **vary; /* name, the request's value or "" for none, name, ...; NULL-terminated */
	guint8 *vary_absent; /* per name: the request had no such field */
} Entry;

struct _MsResponseCache {
	GMutex mutex;
	gsize max_bytes;
	gsize size;
	GHashTable *entries; /* key → Entry */
	GQueue lru;          /* head: most recently used */
	/* key without variant → the names its last answer's Vary gave (char **) */
	GHashTable *vary_names;
};

static void
cached_response_clear(MsCachedResponse *response)
{
	g_bytes_unref(response->body);
	g_ptr_array_unref(response->headers);
}

MsCachedResponse *
ms_cached_response_ref(MsCachedResponse *response)
{
	return g_atomic_rc_box_acquire(response);
}

void
ms_cached_response_unref(MsCachedResponse *response)
{
	g_atomic_rc_box_release_full(response, (GDestroyNotify)cached_response_clear);
}

guint
ms_cached_response_get_status(MsCachedResponse *response)
{
	return response->status;
}

/**
 * ms_cached_response_get_body:
 *
 * Returns: (transfer none): the body, empty for HEAD
 */
GBytes *
ms_cached_response_get_body(MsCachedResponse *response)
{
	return response->body;
}

/**
 * ms_cached_response_apply_headers:
 *
 * Appends the stored end-to-end headers; the caller adds Age and X-Cache.
 */
void
ms_cached_response_apply_headers(MsCachedResponse *response, SoupMessageHeaders *headers)
{
	for (guint i = 0; i + 1 < response->headers->len; i += 2)
		soup_message_headers_append(headers,
					    g_ptr_array_index(response->headers, i),
					    g_ptr_array_index(response->headers, i + 1));
}

static void
entry_free(Entry *entry)
{
	g_free(entry->key);
	ms_cached_response_unref(entry->response);
	g_strfreev(entry->vary);
	g_free(entry->vary_absent);
	g_free(entry);
}

MsResponseCache *
ms_response_cache_new(gsize max_bytes)
{
	MsResponseCache *self = g_new0(MsResponseCache, 1);

	g_mutex_init(&self->mutex);
	self->max_bytes = max_bytes;
	self->entries =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)entry_free);
	self->vary_names =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
	g_queue_init(&self->lru);
	return self;
}

void
ms_response_cache_free(MsResponseCache *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->entries);
	g_hash_table_unref(self->vary_names);
	g_mutex_clear(&self->mutex);
	g_free(self);
}

static void
append_part(GString *key, const char *part)
{
	/* length-prefixed: no choice of path or query can collide with another key */
	part = part != NULL ? part : "";
	g_string_append_printf(key, "%zu:%s;", strlen(part), part);
}

/**
 * ms_response_cache_make_key:
 * @query: (nullable): the raw query string
 * @accept_language: (nullable): the request's Accept-Language
 * @user: (nullable): the authenticated user on routes with auth, else %NULL
 */
char *
ms_response_cache_make_key(const char *method,
			   const char *path,
			   const char *query,
			   const char *accept_language,
			   const char *user)
{
	GString *key = g_string_sized_new(64);

	append_part(key, method);
	append_part(key, path);
	append_part(key, query);
	append_part(key, accept_language);
	if (user != NULL)
		append_part(key, user);
	else
		g_string_append(key, "-");
	return g_string_free(key, FALSE);
}

static GHashTable *
parse_cache_control(SoupMessageHeaders *headers)
{
	const char *value = soup_message_headers_get_list(headers, "Cache-Control");

	return value != NULL ? soup_header_parse_param_list(value) : NULL;
}

/**
 * ms_response_cache_request_allows:
 * @may_store: (out): %FALSE when the client said no-store
 *
 * Returns: %TRUE when a cached answer may be used for this request
 */
gboolean
ms_response_cache_request_allows(SoupMessageHeaders *request_headers, gboolean *may_store)
{
	g_autoptr(GHashTable) cc = parse_cache_control(request_headers);
	const char *pragma = soup_message_headers_get_list(request_headers, "Pragma");
	gboolean no_store = cc != NULL && g_hash_table_contains(cc, "no-store");
	gboolean no_cache = cc != NULL && g_hash_table_contains(cc, "no-cache");

	if (pragma != NULL && soup_header_contains(pragma, "no-cache"))
		no_cache = TRUE;
	*may_store = !no_store;
	return !no_cache && !no_store;
}

static gboolean
parse_seconds(const char *str, guint64 *out)
{
	char *end = NULL;
	guint64 value;

	if (str == NULL || !g_ascii_isdigit(*str))
		return FALSE;
	value = g_ascii_strtoull(str, &end, 10);
	if (*end != '\0')
		return FALSE;
	*out = value;
	return TRUE;
}

static gboolean
vary_is_cacheable(SoupMessageHeaders *headers)
{
	const char *vary = soup_message_headers_get_list(headers, "Vary");
	GSList *items;
	gboolean cacheable;

	if (vary == NULL)
		return TRUE;
	items = soup_header_parse_list(vary);
	/* "*": nothing in the request tells the variants apart */
	cacheable = g_slist_length(items) <= MAX_VARY;
	for (GSList *l = items; l != NULL && cacheable; l = l->next)
		cacheable = g_strcmp0(l->data, "*") != 0;
	soup_header_free_list(items);
	return cacheable;
}

/* the names the answer varies on, each with the request's value ("" and absent for none) */
static void
entry_set_vary(Entry *entry, SoupMessageHeaders *response, SoupMessageHeaders *request)
{
	const char *vary = soup_message_headers_get_list(response, "Vary");
	GSList *items;
	GPtrArray *pairs;
	guint i = 0;

	if (vary == NULL)
		return;
	items = soup_header_parse_list(vary);
	pairs = g_ptr_array_new();
	entry->vary_absent = g_new0(guint8, g_slist_length(items) + 1);
	for (GSList *l = items; l != NULL; l = l->next, i++) {
		const char *value =
			request != NULL ? soup_message_headers_get_list(request, l->data) : NULL;

		g_ptr_array_add(pairs, g_strdup(l->data));
		g_ptr_array_add(pairs, g_strdup(value != NULL ? value : ""));
		entry->vary_absent[i] = value == NULL;
	}
	g_ptr_array_add(pairs, NULL);
	soup_header_free_list(items);
	entry->vary = (char **)g_ptr_array_free(pairs, FALSE);
}

/* @key, then each of @names with the request's value or a mark for none */
static char *
variant_key(const char *key, char **names, SoupMessageHeaders *request)
{
	GString *variant;

	if (names == NULL)
		return g_strdup(key);
	variant = g_string_new(key);
	g_string_append_c(variant, '|');
	for (guint i = 0; names[i] != NULL; i++) {
		const char *value =
			request != NULL ? soup_message_headers_get_list(request, names[i]) : NULL;

		append_part(variant, names[i]);
		if (value != NULL)
			append_part(variant, value);
		else
			g_string_append_c(variant, '-');
	}
	return g_string_free(variant, FALSE);
}

static char **
vary_names_of(SoupMessageHeaders *response)
{
	const char *vary = soup_message_headers_get_list(response, "Vary");
	GSList *items;
	GPtrArray *names;

	if (vary == NULL)
		return NULL;
	items = soup_header_parse_list(vary);
	names = g_ptr_array_new();
	for (GSList *l = items; l != NULL; l = l->next)
		g_ptr_array_add(names, g_ascii_strdown(l->data, -1));
	g_ptr_array_add(names, NULL);
	soup_header_free_list(items);
	return (char **)g_ptr_array_free(names, FALSE);
}

/* RFC 9111 §4.1: the request has the same values of the fields the answer named */
static gboolean
entry_vary_matches(Entry *entry, SoupMessageHeaders *request)
{
	if (entry->vary == NULL)
		return TRUE;
	for (guint i = 0; entry->vary[2 * i] != NULL; i++) {
		const char *value =
			request != NULL ? soup_message_headers_get_list(request, entry->vary[2 * i])
					: NULL;

		if ((value == NULL) != (entry->vary_absent[i] != 0))
			return FALSE;
		if (value != NULL && strcmp(value, entry->vary[2 * i + 1]) != 0)
			return FALSE;
	}
	return TRUE;
}

/**
 * ms_response_cache_ttl_for:
 * @route_ttl_s: the route's cache_ttl_s; 0 disables caching
 *
 * Returns: how long the upstream's answer may be kept, 0 for not at all
 */
guint
ms_response_cache_ttl_for(guint route_ttl_s,
			  const char *method,
			  guint status,
			  SoupMessageHeaders *response_headers)
{
	g_autoptr(GHashTable) cc = NULL;
	guint64 ttl = route_ttl_s;
	guint64 max_age;
	guint64 age = 0;

	if (route_ttl_s == 0 || status != SOUP_STATUS_OK)
		return 0;
	if (g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0)
		return 0;
	if (soup_message_headers_get_one(response_headers, "Set-Cookie") != NULL ||
	    !vary_is_cacheable(response_headers))
		return 0;
	cc = parse_cache_control(response_headers);
	if (cc != NULL) {
		if (g_hash_table_contains(cc, "no-store") || g_hash_table_contains(cc, "private") ||
		    g_hash_table_contains(cc, "no-cache"))
			return 0;
		/* we are a shared cache: s-maxage wins over max-age */
		if (parse_seconds(g_hash_table_lookup(cc, "s-maxage"), &max_age) ||
		    parse_seconds(g_hash_table_lookup(cc, "max-age"), &max_age)) {
			parse_seconds(soup_message_headers_get_one(response_headers, "Age"), &age);
			max_age = max_age > age ? max_age - age : 0;
			ttl = MIN(ttl, max_age);
		}
	}
	return (guint)ttl;
}

/* per-hop or per-request: never replayed from the cache */
static gboolean
header_is_stored(const char *name)
{
	/* the cache's own: Age is computed, the rest belong to one answer */
	static const char *const skip[] = {
		"Age", "Date", "X-Request-ID", "X-Cache", "Set-Cookie",
	};
	if (ms_http_header_is_hop_by_hop(name))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(skip); i++) {
		if (g_ascii_strcasecmp(name, skip[i]) == 0)
			return FALSE;
	}
	return TRUE;
}

static void
remove_entry_locked(MsResponseCache *self, Entry *entry)
{
	self->size -= entry->size;
	g_queue_unlink(&self->lru, &entry->link);
	g_hash_table_remove(self->entries, entry->key);
}

/**
 * ms_response_cache_lookup:
 * @request: (nullable): the request's headers, as they would go upstream
 * @age_s: (out) (optional): the Age to send with the hit
 *
 * Returns: (transfer full) (nullable): a fresh stored answer whose Vary
 *   fields @request matches, or %NULL
 */
MsCachedResponse *
ms_response_cache_lookup(MsResponseCache *self,
			 const char *key,
			 SoupMessageHeaders *request,
			 gint64 now_us,
			 guint *age_s)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	g_autofree char *variant =
		variant_key(key, g_hash_table_lookup(self->vary_names, key), request);
	Entry *entry = g_hash_table_lookup(self->entries, variant);

	/* the names came from the last answer; this entry checks its own */
	if (entry == NULL || !entry_vary_matches(entry, request))
		return NULL;
	if (now_us >= entry->expires_us) {
		remove_entry_locked(self, entry);
		return NULL;
	}
	g_queue_unlink(&self->lru, &entry->link);
	g_queue_push_head_link(&self->lru, &entry->link);
	if (age_s != NULL)
		*age_s = entry->initial_age_s +
			 (guint)(MAX(now_us - entry->stored_us, 0) / G_USEC_PER_SEC);
	return ms_cached_response_ref(entry->response);
}

/**
 * ms_response_cache_store:
 * @request: (nullable): the headers of the request that was answered, as
 *   they went upstream: the values of the fields @headers' Vary names are
 *   kept with the entry
 * @ttl_s: from ms_response_cache_ttl_for(); 0 stores nothing
 *
 * One entry per key: an answer for other Vary values replaces the one before.
 *
 * Returns: %TRUE if stored (an answer larger than the whole cache is not)
 */
gboolean
ms_response_cache_store(MsResponseCache *self,
			const char *key,
			SoupMessageHeaders *request,
			guint status,
			SoupMessageHeaders *headers,
			GBytes *body,
			guint ttl_s,
			gint64 now_us)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree char *variant = NULL;
	MsCachedResponse *response;
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;
	guint64 age = 0;
	Entry *entry;
	gsize size;

	if (ttl_s == 0)
		return FALSE;
	names = vary_names_of(headers);
	variant = variant_key(key, names, request);
	size = ENTRY_OVERHEAD + strlen(variant) + (body != NULL ? g_bytes_get_size(body) : 0);
	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (header_is_stored(name))
			size += strlen(name) + strlen(value) + 2 * sizeof(gpointer);
	}
	if (size > self->max_bytes)
		return FALSE;

	response = g_atomic_rc_box_new0(MsCachedResponse);
	response->status = status;
	response->body = body != NULL ? g_bytes_ref(body) : g_bytes_new(NULL, 0);
	response->headers = g_ptr_array_new_with_free_func(g_free);
	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (!header_is_stored(name))
			continue;
		g_ptr_array_add(response->headers, g_strdup(name));
		g_ptr_array_add(response->headers, g_strdup(value));
	}
	parse_seconds(soup_message_headers_get_one(headers, "Age"), &age);

	entry = g_new0(Entry, 1);
	entry->link.data = entry;
	entry->key = g_steal_pointer(&variant);
	entry->response = response;
	entry->stored_us = now_us;
	entry->expires_us = now_us + (gint64)ttl_s * G_USEC_PER_SEC;
	entry->initial_age_s = (guint)MIN(age, G_MAXUINT / 2);
	entry->size = size;
	entry_set_vary(entry, headers, request);

	locker = g_mutex_locker_new(&self->mutex);
	{
		Entry *old = g_hash_table_lookup(self->entries, entry->key);
		if (old != NULL)
			remove_entry_locked(self, old);
	}
	/* only a hint: when it outgrows the entries it is dropped, costing misses */
	if (g_hash_table_size(self->vary_names) > 2 * g_hash_table_size(self->entries) + 1024)
		g_hash_table_remove_all(self->vary_names);
	if (names != NULL)
		g_hash_table_replace(self->vary_names, g_strdup(key), g_steal_pointer(&names));
	else
		g_hash_table_remove(self->vary_names, key);
	while (self->size + size > self->max_bytes && self->lru.tail != NULL)
		remove_entry_locked(self, self->lru.tail->data);
	g_hash_table_insert(self->entries, entry->key, entry);
	g_queue_push_head_link(&self->lru, &entry->link);
	self->size += size;
	return TRUE;
}

gsize
ms_response_cache_get_size(MsResponseCache *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	return self->size;
}

guint
ms_response_cache_get_n_entries(MsResponseCache *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	return g_hash_table_size(self->entries);
}

/**
 * ms_response_cache_clear:
 *
 * Drops everything, e.g. on a reload that changed routes or users.
 */
void
ms_response_cache_clear(MsResponseCache *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	g_queue_init(&self->lru);
	g_hash_table_remove_all(self->entries);
	g_hash_table_remove_all(self->vary_names);
	self->size = 0;
}

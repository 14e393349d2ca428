/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

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
 *   request's values of those fields (RFC 9111 section 4.1): each variant has an
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
 * It decides on plain values: the caller parses the HTTP fields (Cache-Control,
 * Pragma, Vary, Age) into MsCacheRequestFacts and MsCacheResponseFacts, hands
 * the answer's fields as name/value pairs and reads the request's fields through
 * an MsHeaderLookupFunc, so the store needs no HTTP library.
 *
 * Thread-safety: every call takes one GMutex; an MsCachedResponse is immutable
 * and atomically reference counted, so a hit can be sent from any thread after
 * the lock is dropped. One cache shared by all workers, or one per worker, both work.
 */

/* what an entry costs besides its strings and body */
#define ENTRY_OVERHEAD 128
/* what an answer may vary on and still be stored */
#define MAX_VARY 8
/* the only status stored: RFC 9110 section 15.3.1 */
#define HTTP_STATUS_OK 200

struct _MsCachedResponse {
	guint status;
	GBytes *body;
	char **header_pairs; /* name, value, name, value, ..., NULL */
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
	g_strfreev(response->header_pairs);
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
 * ms_cached_response_get_header_pairs:
 *
 * The stored end-to-end header fields, in the upstream's order; the caller adds
 * Age and X-Cache.
 *
 * Returns: (transfer none): name, value, name, value, ..., %NULL
 */
const char *const *
ms_cached_response_get_header_pairs(MsCachedResponse *response)
{
	return (const char *const *)response->header_pairs;
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

/**
 * ms_cache_response_facts_init:
 *
 * No directive, no number, no Set-Cookie, no Vary: an answer that says nothing.
 */
void
ms_cache_response_facts_init(MsCacheResponseFacts *facts)
{
	*facts = (MsCacheResponseFacts){
		.s_maxage_s = -1,
		.max_age_s = -1,
		.age_s = -1,
	};
}

void
ms_cache_response_facts_clear(MsCacheResponseFacts *facts)
{
	g_clear_pointer(&facts->vary_names, g_strfreev);
}

/**
 * ms_response_cache_request_allows:
 * @may_store: (out): %FALSE when the client said no-store
 *
 * Returns: %TRUE when a cached answer may be used for this request
 */
gboolean
ms_response_cache_request_allows(const MsCacheRequestFacts *request, gboolean *may_store)
{
	*may_store = !request->no_store;
	return !request->no_cache && !request->no_store;
}

static const char *
request_value(MsHeaderLookupFunc request_lookup, gconstpointer request_headers, const char *name)
{
	return request_lookup != NULL ? request_lookup(request_headers, name) : NULL;
}

static gboolean
vary_is_cacheable(char **names)
{
	if (names == NULL)
		return TRUE;
	if (g_strv_length(names) > MAX_VARY)
		return FALSE;
	/* "*": nothing in the request tells the variants apart */
	return !g_strv_contains((const char *const *)names, "*");
}

/* the names the answer varies on, each with the request's value ("" and absent for none) */
static void
entry_set_vary(Entry *entry,
	       char **names,
	       MsHeaderLookupFunc request_lookup,
	       gconstpointer request_headers)
{
	guint n_names;

	if (names == NULL)
		return;
	n_names = g_strv_length(names);
	entry->vary = g_new0(char *, 2 * n_names + 1);
	entry->vary_absent = g_new0(guint8, n_names + 1);
	for (guint i = 0; i < n_names; i++) {
		const char *value = request_value(request_lookup, request_headers, names[i]);

		entry->vary[2 * i] = g_strdup(names[i]);
		entry->vary[2 * i + 1] = g_strdup(value != NULL ? value : "");
		entry->vary_absent[i] = value == NULL;
	}
}

/* @key, then each of @names with the request's value or a mark for none */
static char *
variant_key(const char *key,
	    char **names,
	    MsHeaderLookupFunc request_lookup,
	    gconstpointer request_headers)
{
	GString *variant;

	if (names == NULL)
		return g_strdup(key);
	variant = g_string_new(key);
	g_string_append_c(variant, '|');
	for (guint i = 0; names[i] != NULL; i++) {
		const char *value = request_value(request_lookup, request_headers, names[i]);

		append_part(variant, names[i]);
		if (value != NULL)
			append_part(variant, value);
		else
			g_string_append_c(variant, '-');
	}
	return g_string_free(variant, FALSE);
}

/* RFC 9111 section 4.1: the request has the same values of the fields the answer named */
static gboolean
entry_vary_matches(Entry *entry, MsHeaderLookupFunc request_lookup, gconstpointer request_headers)
{
	if (entry->vary == NULL)
		return TRUE;
	for (guint i = 0; entry->vary[2 * i] != NULL; i++) {
		const char *value =
			request_value(request_lookup, request_headers, entry->vary[2 * i]);

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
 * @response: what the upstream's answer said
 *
 * Returns: how long the upstream's answer may be kept, 0 for not at all
 */
guint
ms_response_cache_ttl_for(guint route_ttl_s,
			  const char *method,
			  guint status,
			  const MsCacheResponseFacts *response)
{
	gint64 ttl = route_ttl_s;
	gint64 max_age;

	if (route_ttl_s == 0 || status != HTTP_STATUS_OK)
		return 0;
	if (g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0)
		return 0;
	if (response->has_set_cookie || !vary_is_cacheable(response->vary_names))
		return 0;
	if (response->no_store || response->private || response->no_cache)
		return 0;
	/* we are a shared cache: s-maxage wins over max-age */
	max_age = response->s_maxage_s >= 0 ? response->s_maxage_s : response->max_age_s;
	if (max_age >= 0) {
		gint64 age = MAX(response->age_s, 0);

		max_age = max_age > age ? max_age - age : 0;
		ttl = MIN(ttl, max_age);
	}
	return (guint)ttl;
}

/**
 * ms_response_cache_header_is_stored:
 * @name: a header field name, any case
 *
 * Per-hop or per-request fields are never replayed from the cache: the store
 * leaves them out of what it keeps.
 *
 * Returns: %TRUE when an answer's field of this name is kept with it
 */
gboolean
ms_response_cache_header_is_stored(const char *name)
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
 * @request_lookup: (nullable): reads @request_headers' fields; %NULL for a
 *   request without any
 * @request_headers: the request's headers, as they would go upstream
 * @age_s: (out) (optional): the Age to send with the hit
 *
 * Returns: (transfer full) (nullable): a fresh stored answer whose Vary
 *   fields the request matches, or %NULL
 */
MsCachedResponse *
ms_response_cache_lookup(MsResponseCache *self,
			 const char *key,
			 MsHeaderLookupFunc request_lookup,
			 gconstpointer request_headers,
			 gint64 now_us,
			 guint *age_s)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	g_autofree char *variant = variant_key(key,
					       g_hash_table_lookup(self->vary_names, key),
					       request_lookup,
					       request_headers);
	Entry *entry = g_hash_table_lookup(self->entries, variant);

	/* the names came from the last answer; this entry checks its own */
	if (entry == NULL || !entry_vary_matches(entry, request_lookup, request_headers))
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
 * @request_lookup: (nullable): reads @request_headers' fields; %NULL for a
 *   request without any
 * @request_headers: the headers of the request that was answered, as they went
 *   upstream: the values of the fields @response's Vary names are kept with the
 *   entry
 * @response: what the answer said; its Vary names and Age are used
 * @header_pairs: (nullable): the answer's fields, name, value, ..., %NULL; those
 *   ms_response_cache_header_is_stored() refuses are left out
 * @ttl_s: from ms_response_cache_ttl_for(); 0 stores nothing
 *
 * One entry per key: an answer for other Vary values replaces the one before.
 *
 * Returns: %TRUE if stored (an answer larger than the whole cache is not)
 */
gboolean
ms_response_cache_store(MsResponseCache *self,
			const char *key,
			MsHeaderLookupFunc request_lookup,
			gconstpointer request_headers,
			guint status,
			const MsCacheResponseFacts *response,
			const char *const *header_pairs,
			GBytes *body,
			guint ttl_s,
			gint64 now_us)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree char *variant = NULL;
	MsCachedResponse *cached;
	GPtrArray *stored;
	Entry *entry;
	gsize size;

	if (ttl_s == 0)
		return FALSE;
	names = g_strdupv(response->vary_names);
	variant = variant_key(key, names, request_lookup, request_headers);
	size = ENTRY_OVERHEAD + strlen(variant) + (body != NULL ? g_bytes_get_size(body) : 0);
	for (guint i = 0; header_pairs != NULL && header_pairs[i] != NULL; i += 2) {
		if (ms_response_cache_header_is_stored(header_pairs[i]))
			size += strlen(header_pairs[i]) + strlen(header_pairs[i + 1]) +
				2 * sizeof(gpointer);
	}
	if (size > self->max_bytes)
		return FALSE;

	stored = g_ptr_array_new();
	for (guint i = 0; header_pairs != NULL && header_pairs[i] != NULL; i += 2) {
		if (!ms_response_cache_header_is_stored(header_pairs[i]))
			continue;
		g_ptr_array_add(stored, g_strdup(header_pairs[i]));
		g_ptr_array_add(stored, g_strdup(header_pairs[i + 1]));
	}
	g_ptr_array_add(stored, NULL);
	cached = g_atomic_rc_box_new0(MsCachedResponse);
	cached->status = status;
	cached->body = body != NULL ? g_bytes_ref(body) : g_bytes_new(NULL, 0);
	cached->header_pairs = (char **)g_ptr_array_free(stored, FALSE);

	entry = g_new0(Entry, 1);
	entry->link.data = entry;
	entry->key = g_steal_pointer(&variant);
	entry->response = cached;
	entry->stored_us = now_us;
	entry->expires_us = now_us + (gint64)ttl_s * G_USEC_PER_SEC;
	entry->initial_age_s = (guint)CLAMP(response->age_s, 0, G_MAXUINT / 2);
	entry->size = size;
	entry_set_vary(entry, names, request_lookup, request_headers);

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

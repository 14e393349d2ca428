/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "gateway/core/ms-header-lookup.h"

G_BEGIN_DECLS

/* what a request's Cache-Control and Pragma ask of a cache (RFC 9111 section 5.2.1) */
typedef struct {
	gboolean no_cache; /* also Pragma: no-cache */
	gboolean no_store;
} MsCacheRequestFacts;

/*
 * What an upstream's answer says about its storing (RFC 9111 section 5.2.2), read
 * from its header fields by whoever parses them. A number that is absent or not
 * delta-seconds (RFC 9111 section 1.2.2) is -1.
 */
typedef struct {
	gboolean no_store;
	gboolean private; /* with or without field names */
	gboolean no_cache;
	gint64 s_maxage_s;
	gint64 max_age_s;
	gint64 age_s; /* the Age field */
	gboolean has_set_cookie;
	/* the Vary field's names, lower-case, "*" as is; NULL without a Vary field */
	char **vary_names;
} MsCacheResponseFacts;

void
ms_cache_response_facts_init(MsCacheResponseFacts *facts);
void
ms_cache_response_facts_clear(MsCacheResponseFacts *facts);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MsCacheResponseFacts, ms_cache_response_facts_clear)

typedef struct _MsCachedResponse MsCachedResponse;

MsCachedResponse *
ms_cached_response_ref(MsCachedResponse *response);
void
ms_cached_response_unref(MsCachedResponse *response);
guint
ms_cached_response_get_status(MsCachedResponse *response);
GBytes *
ms_cached_response_get_body(MsCachedResponse *response);
const char *const *
ms_cached_response_get_header_pairs(MsCachedResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsCachedResponse, ms_cached_response_unref)

typedef struct _MsResponseCache MsResponseCache;

MsResponseCache *
ms_response_cache_new(gsize max_bytes);
void
ms_response_cache_free(MsResponseCache *self);
char *
ms_response_cache_make_key(const char *method,
			   const char *path,
			   const char *query,
			   const char *accept_language,
			   const char *user);
gboolean
ms_response_cache_request_allows(const MsCacheRequestFacts *request, gboolean *may_store);
guint
ms_response_cache_ttl_for(guint route_ttl_s,
			  const char *method,
			  guint status,
			  const MsCacheResponseFacts *response);
gboolean
ms_response_cache_header_is_stored(const char *name);
MsCachedResponse *
ms_response_cache_lookup(MsResponseCache *self,
			 const char *key,
			 MsHeaderLookupFunc request_lookup,
			 gconstpointer request_headers,
			 gint64 now_us,
			 guint *age_s);
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
			gint64 now_us);
gsize
ms_response_cache_get_size(MsResponseCache *self);
guint
ms_response_cache_get_n_entries(MsResponseCache *self);
void
ms_response_cache_clear(MsResponseCache *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsResponseCache, ms_response_cache_free)

G_END_DECLS

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _MsCachedResponse MsCachedResponse;

MsCachedResponse *
ms_cached_response_ref(MsCachedResponse *response);
void
ms_cached_response_unref(MsCachedResponse *response);
guint
ms_cached_response_get_status(MsCachedResponse *response);
GBytes *
ms_cached_response_get_body(MsCachedResponse *response);
void
ms_cached_response_apply_headers(MsCachedResponse *response, SoupMessageHeaders *headers);

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
ms_response_cache_request_allows(SoupMessageHeaders *request_headers, gboolean *may_store);
guint
ms_response_cache_ttl_for(guint route_ttl_s,
			  const char *method,
			  guint status,
			  SoupMessageHeaders *response_headers);
MsCachedResponse *
ms_response_cache_lookup(MsResponseCache *self,
			 const char *key,
			 SoupMessageHeaders *request,
			 gint64 now_us,
			 guint *age_s);
gboolean
ms_response_cache_store(MsResponseCache *self,
			const char *key,
			SoupMessageHeaders *request,
			guint status,
			SoupMessageHeaders *headers,
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

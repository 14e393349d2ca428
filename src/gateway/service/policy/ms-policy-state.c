/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-state.h"

/*
 * The policies' shared state. A route's rate limiter lives as long as the
 * route keeps its name and rate, across reloads; credentials and the cache
 * change only on reload.
 */

#define LIMITER_MAX_ENTRIES 65536

typedef struct {
	MsRateLimiter *limiter;
	guint rate;
} RouteLimiter;

struct _MsPolicyState {
	MsAuthenticator *authenticator;
	MsMetrics *metrics;
	MsResponseCache *cache;
	gsize cache_max_bytes;
	GMutex mutex;         /* guards limiters */
	GHashTable *limiters; /* route name → RouteLimiter */
	GPtrArray *retired;   /* limiters replaced by a reload, still maybe in use */
};

static void
route_limiter_free(RouteLimiter *route_limiter)
{
	ms_rate_limiter_free(route_limiter->limiter);
	g_free(route_limiter);
}

/**
 * ms_policy_state_new:
 * @cache_max_bytes: the response cache's size ([gateway] cache_max_bytes)
 */
MsPolicyState *
ms_policy_state_new(MsCredentials *credentials, guint64 cache_max_bytes)
{
	MsPolicyState *self = g_new0(MsPolicyState, 1);

	g_mutex_init(&self->mutex);
	self->authenticator = ms_authenticator_new(credentials);
	self->metrics = ms_metrics_new();
	self->cache_max_bytes = (gsize)MIN(cache_max_bytes, G_MAXSIZE);
	self->cache = ms_response_cache_new(self->cache_max_bytes);
	self->limiters = g_hash_table_new_full(g_str_hash,
					       g_str_equal,
					       g_free,
					       (GDestroyNotify)route_limiter_free);
	self->retired = g_ptr_array_new_with_free_func((GDestroyNotify)route_limiter_free);
	return self;
}

void
ms_policy_state_free(MsPolicyState *self)
{
	g_object_unref(self->authenticator);
	ms_metrics_free(self->metrics);
	ms_response_cache_free(self->cache);
	g_hash_table_unref(self->limiters);
	g_ptr_array_unref(self->retired);
	g_mutex_clear(&self->mutex);
	g_free(self);
}

/**
 * ms_policy_state_reload:
 *
 * After a configuration reload: the new users and keys, an empty cache (a
 * removed user's answers must not outlive the reload).
 */
void
ms_policy_state_reload(MsPolicyState *self, MsCredentials *credentials)
{
	ms_authenticator_set_credentials(self->authenticator, credentials);
	ms_response_cache_clear(self->cache);
}

/**
 * ms_policy_state_expire:
 *
 * Drops idle rate-limit buckets; call it now and then (the status timer does).
 */
void
ms_policy_state_expire(MsPolicyState *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->limiters);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		ms_rate_limiter_expire(((RouteLimiter *)value)->limiter, g_get_monotonic_time());
}

/* Returns: (transfer none): the authenticator of every request, across reloads */
MsAuthenticator *
ms_policy_state_get_authenticator(MsPolicyState *self)
{
	return self->authenticator;
}

/* the route's limiter; a reload that changes the rate starts it afresh */
MsRateLimiter *
ms_policy_state_get_limiter(MsPolicyState *self, const MsRoute *route)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	RouteLimiter *route_limiter = g_hash_table_lookup(self->limiters, route->name);

	if (route_limiter != NULL && route_limiter->rate == route->rate_limit)
		return route_limiter->limiter;
	if (route_limiter != NULL) {
		g_hash_table_steal(self->limiters, route->name);
		g_ptr_array_add(self->retired, route_limiter);
	}
	route_limiter = g_new0(RouteLimiter, 1);
	route_limiter->rate = route->rate_limit;
	route_limiter->limiter =
		ms_rate_limiter_new(route->rate_limit, route->rate_limit, LIMITER_MAX_ENTRIES);
	g_hash_table_insert(self->limiters, g_strdup(route->name), route_limiter);
	return route_limiter->limiter;
}

/**
 * ms_policy_state_get_cache:
 * @max_bytes: (out): the largest answer it could ever hold
 *
 * Returns: (transfer none): the response cache of every route with cache_ttl_s
 */
MsResponseCache *
ms_policy_state_get_cache(MsPolicyState *self, gsize *max_bytes)
{
	*max_bytes = self->cache_max_bytes;
	return self->cache;
}

MsMetrics *
ms_policy_state_get_metrics(MsPolicyState *self)
{
	return self->metrics;
}

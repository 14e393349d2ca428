/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-upstream-health.h"

#include <stdatomic.h>

struct _MsUpstreamHealth {
	atomic_uint fails;     /* connect failures and timeouts in a row */
	atomic_llong retry_at; /* while out: when the next trial may go */
	atomic_ullong requests;
	atomic_ullong failures;
};

struct _MsUpstreamHealthTable {
	GMutex lock;
	GHashTable *servers; /* "ROUTE SERVER" → MsUpstreamHealth, as long as the table */
};

/* the wait before the next trial, after @fails failures in a row */
static gint64
backoff(guint fails)
{
	guint doublings = fails - MS_UPSTREAM_HEALTH_MAX_FAILS;

	if (doublings >= 8)
		return MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC;
	return MIN(MS_UPSTREAM_HEALTH_BACKOFF_MIN_USEC << doublings,
		   MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC);
}

MsUpstreamHealthState
ms_upstream_health_get_state(MsUpstreamHealth *self, gint64 now_us)
{
	if (atomic_load_explicit(&self->fails, memory_order_relaxed) < MS_UPSTREAM_HEALTH_MAX_FAILS)
		return MS_UPSTREAM_HEALTH_IN;
	if (now_us < atomic_load_explicit(&self->retry_at, memory_order_relaxed))
		return MS_UPSTREAM_HEALTH_OUT;
	return MS_UPSTREAM_HEALTH_TRIAL_DUE;
}

/**
 * ms_upstream_health_claim_trial:
 *
 * A server that is out and whose back-off is over takes one request, from
 * one worker: the first caller wins, and the next trial is due a back-off
 * later in case this one never comes back.
 *
 * Returns: %TRUE when the caller may send its request to the server
 */
gboolean
ms_upstream_health_claim_trial(MsUpstreamHealth *self, gint64 now_us)
{
	long long due = atomic_load_explicit(&self->retry_at, memory_order_relaxed);
	guint fails = atomic_load_explicit(&self->fails, memory_order_relaxed);

	if (fails < MS_UPSTREAM_HEALTH_MAX_FAILS)
		return TRUE;
	if (now_us < due)
		return FALSE;
	return atomic_compare_exchange_strong_explicit(&self->retry_at,
						       &due,
						       now_us + backoff(fails),
						       memory_order_relaxed,
						       memory_order_relaxed);
}

/* a response head came: the server is in; nothing is stored when it already was */
void
ms_upstream_health_answered(MsUpstreamHealth *self)
{
	if (atomic_load_explicit(&self->fails, memory_order_relaxed) != 0)
		atomic_store_explicit(&self->fails, 0, memory_order_relaxed);
}

/* a connect failed or timed out, or a response timed out */
void
ms_upstream_health_failed(MsUpstreamHealth *self, gint64 now_us)
{
	guint fails = atomic_fetch_add_explicit(&self->fails, 1, memory_order_relaxed) + 1;

	if (fails >= MS_UPSTREAM_HEALTH_MAX_FAILS)
		atomic_store_explicit(&self->retry_at,
				      now_us + backoff(fails),
				      memory_order_relaxed);
}

gboolean
ms_upstream_health_is_up(MsUpstreamHealth *self)
{
	return atomic_load_explicit(&self->fails, memory_order_relaxed) <
	       MS_UPSTREAM_HEALTH_MAX_FAILS;
}

gint64
ms_upstream_health_get_retry_at(MsUpstreamHealth *self)
{
	return atomic_load_explicit(&self->retry_at, memory_order_relaxed);
}

guint
ms_upstream_health_get_fails(MsUpstreamHealth *self)
{
	return atomic_load_explicit(&self->fails, memory_order_relaxed);
}

void
ms_upstream_health_count_request(MsUpstreamHealth *self)
{
	atomic_fetch_add_explicit(&self->requests, 1, memory_order_relaxed);
}

void
ms_upstream_health_count_failure(MsUpstreamHealth *self)
{
	atomic_fetch_add_explicit(&self->failures, 1, memory_order_relaxed);
}

guint64
ms_upstream_health_get_requests(MsUpstreamHealth *self)
{
	return atomic_load_explicit(&self->requests, memory_order_relaxed);
}

guint64
ms_upstream_health_get_failures(MsUpstreamHealth *self)
{
	return atomic_load_explicit(&self->failures, memory_order_relaxed);
}

MsUpstreamHealthTable *
ms_upstream_health_table_new(void)
{
	MsUpstreamHealthTable *self = g_new0(MsUpstreamHealthTable, 1);

	g_mutex_init(&self->lock);
	self->servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return self;
}

void
ms_upstream_health_table_free(MsUpstreamHealthTable *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->servers);
	g_mutex_clear(&self->lock);
	g_free(self);
}

static MsUpstreamHealth *
table_find(MsUpstreamHealthTable *self, const char *route, const char *server, gboolean create)
{
	g_autofree char *key = g_strconcat(route, " ", server, NULL);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	MsUpstreamHealth *health = g_hash_table_lookup(self->servers, key);

	if (health == NULL && create) {
		health = g_new0(MsUpstreamHealth, 1);
		g_hash_table_insert(self->servers, g_steal_pointer(&key), health);
	}
	return health;
}

/**
 * ms_upstream_health_table_get:
 * @route: the route's name
 * @server: the server's text, as the route lists it
 *
 * Takes a lock: a worker asks once per route and server and keeps the answer.
 * A reload that keeps the route and the server keeps what was learnt.
 *
 * Returns: (transfer none): the server's health, valid as long as @self, made
 *   on first use
 */
MsUpstreamHealth *
ms_upstream_health_table_get(MsUpstreamHealthTable *self, const char *route, const char *server)
{
	return table_find(self, route, server, TRUE);
}

/* Returns: (transfer none) (nullable): the server's health, %NULL before any exchange */
MsUpstreamHealth *
ms_upstream_health_table_lookup(MsUpstreamHealthTable *self, const char *route, const char *server)
{
	return table_find(self, route, server, FALSE);
}

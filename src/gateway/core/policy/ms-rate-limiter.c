/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gateway/core/policy/ms-rate-limiter.h"

/*
 * Token buckets keyed by a string (a user name or a client address). A bucket
 * that has refilled to full is the same as no bucket, so a bucket idle for
 * burst/rate seconds is dropped; the buckets are kept in least-recently-used
 * order so that expiry looks only at the old end. Past max_entries the least
 * recently used bucket is evicted even if not yet full: that client starts
 * afresh (fail open), which bounds memory under a flood of distinct keys.
 *
 * Thread-safe: one GMutex; the critical section is a hash lookup and a few
 * float operations. Time is passed in (g_get_monotonic_time()) so tests are exact.
 */

typedef struct {
	GList link; /* in lru; data points back to the bucket */
	char *key;
	double tokens;
	gint64 updated_us;
} Bucket;

/* float slack: 6 s at 1/6 token per second must give a whole token back */
#define EPSILON 1e-9

struct _MsRateLimiter {
	GMutex mutex;
	double rate; /* tokens per second */
	double burst;
	guint max_entries;
	gint64 idle_us;      /* after this long a bucket is full again */
	GHashTable *buckets; /* key → Bucket */
	GQueue lru;          /* head: most recently used */
};

static void
bucket_free(Bucket *bucket)
{
	g_free(bucket->key);
	g_free(bucket);
}

/**
 * ms_rate_limiter_new:
 * @rate_per_s: tokens added per second, > 0
 * @burst: bucket size, >= 1
 * @max_entries: hard cap on remembered keys, 0 for the default
 */
MsRateLimiter *
ms_rate_limiter_new(double rate_per_s, double burst, guint max_entries)
{
	MsRateLimiter *self = g_new0(MsRateLimiter, 1);

	g_return_val_if_fail(rate_per_s > 0 && burst >= 1, NULL);
	g_mutex_init(&self->mutex);
	self->rate = rate_per_s;
	self->burst = burst;
	self->max_entries = max_entries > 0 ? max_entries : MS_RATE_LIMITER_DEFAULT_MAX_ENTRIES;
	self->idle_us = (gint64)ceil(burst / rate_per_s * G_USEC_PER_SEC);
	self->buckets =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)bucket_free);
	g_queue_init(&self->lru);
	return self;
}

void
ms_rate_limiter_free(MsRateLimiter *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->buckets);
	g_mutex_clear(&self->mutex);
	g_free(self);
}

static void
remove_bucket(MsRateLimiter *self, Bucket *bucket)
{
	g_queue_unlink(&self->lru, &bucket->link);
	g_hash_table_remove(self->buckets, bucket->key);
}

/* drops full buckets from the old end, then the oldest while over the cap */
static void
expire_locked(MsRateLimiter *self, gint64 now_us, guint cap)
{
	while (self->lru.tail != NULL) {
		Bucket *oldest = self->lru.tail->data;
		if (now_us - oldest->updated_us < self->idle_us && self->lru.length <= cap)
			break;
		remove_bucket(self, oldest);
	}
}

static Bucket *
lookup_locked(MsRateLimiter *self, const char *key, gint64 now_us, gboolean create)
{
	Bucket *bucket = g_hash_table_lookup(self->buckets, key);

	if (bucket != NULL) {
		double elapsed = (double)MAX(now_us - bucket->updated_us, 0) / G_USEC_PER_SEC;
		bucket->tokens = MIN(self->burst, bucket->tokens + elapsed * self->rate);
		bucket->updated_us = MAX(now_us, bucket->updated_us);
		g_queue_unlink(&self->lru, &bucket->link);
		g_queue_push_head_link(&self->lru, &bucket->link);
		return bucket;
	}
	if (!create)
		return NULL;
	expire_locked(self, now_us, self->max_entries - 1);
	bucket = g_new0(Bucket, 1);
	bucket->link.data = bucket;
	bucket->key = g_strdup(key);
	bucket->tokens = self->burst;
	bucket->updated_us = now_us;
	g_hash_table_insert(self->buckets, bucket->key, bucket);
	g_queue_push_head_link(&self->lru, &bucket->link);
	return bucket;
}

static guint
retry_after(MsRateLimiter *self, double tokens)
{
	return (guint)MAX(1.0, ceil((1.0 - tokens) / self->rate - EPSILON));
}

/**
 * ms_rate_limiter_consume:
 * @retry_after_s: (out) (optional): when refused, whole seconds until a token is back
 *
 * Takes one token from @key's bucket.
 *
 * Returns: %TRUE when allowed, %FALSE when @key is over its rate
 */
gboolean
ms_rate_limiter_consume(MsRateLimiter *self, const char *key, gint64 now_us, guint *retry_after_s)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	Bucket *bucket = lookup_locked(self, key, now_us, TRUE);

	if (bucket->tokens >= 1.0 - EPSILON) {
		bucket->tokens = MAX(bucket->tokens - 1.0, 0.0);
		return TRUE;
	}
	if (retry_after_s != NULL)
		*retry_after_s = retry_after(self, bucket->tokens);
	return FALSE;
}

/**
 * ms_rate_limiter_check:
 *
 * Like ms_rate_limiter_consume() without taking a token: "would one more be
 * allowed?". Used to refuse a client that already failed too many logins
 * before spending a password check on it.
 */
gboolean
ms_rate_limiter_check(MsRateLimiter *self, const char *key, gint64 now_us, guint *retry_after_s)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	Bucket *bucket = lookup_locked(self, key, now_us, FALSE);

	if (bucket == NULL || bucket->tokens >= 1.0 - EPSILON)
		return TRUE;
	if (retry_after_s != NULL)
		*retry_after_s = retry_after(self, bucket->tokens);
	return FALSE;
}

guint
ms_rate_limiter_get_size(MsRateLimiter *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	return g_hash_table_size(self->buckets);
}

/**
 * ms_rate_limiter_expire:
 *
 * Drops buckets that have refilled; call it now and then (e.g. from the
 * periodic status timer) so idle clients do not stay in memory until the cap.
 */
void
ms_rate_limiter_expire(MsRateLimiter *self, gint64 now_us)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	expire_locked(self, now_us, self->max_entries);
}

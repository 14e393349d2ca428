/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/front/ms-gateway-limits.h"

#include <sys/resource.h>

/*
 * The counts are atomics so that the common path (a free slot, no per-client
 * limit) takes no lock; the per-client table and the waiting listeners are
 * under one mutex, taken once per accept and once per close.
 *
 * A listener waits in two steps: it registers, then looks at the count again.
 * A release lowers the count, then looks for waiters. Both are sequentially
 * consistent atomics, so at least one of the two sees the other: a slot freed
 * between a listener's failed reservation and its registration is not missed.
 *
 * Limits within others (ms_gateway_limits_new_within()) are one front's
 * share: a slot taken from them is taken from every limits up the chain, so
 * each level's n_open is the count of its connections, and the only one. Only
 * the outermost limits bound anything, count clients and keep waiters.
 */

/* what a configured or derived limit is held to: beyond any real fd limit */
#define LIMITS_MAX_CONNECTIONS (1024 * 1024)

struct _MsGatewayLimits {
	MsGatewayLimits *parent; /* nullable: the limits these count against too */
	gint max_connections;    /* atomic */
	gint max_per_client;     /* atomic; 0 = no limit */
	gint n_open;             /* atomic: slots held */
	gint n_waiters;          /* atomic mirror of waiters->len, read without the lock */
	GMutex lock;
	GHashTable *clients; /* address -> GUINT_TO_POINTER(slots held), under lock */
	GPtrArray *waiters;  /* GSource, not referenced: each unwaits before it goes */
	guint64 refused[MS_GATEWAY_REFUSED_N_REASONS]; /* atomic */
};

struct _MsGatewayLimitsSlot {
	MsGatewayLimits *limits;
	char *client; /* counted against its client, or %NULL */
};

/**
 * ms_gateway_limits_default_max_connections:
 *
 * Each proxied client connection may hold one upstream connection too, so
 * clients get half of the descriptors that RLIMIT_NOFILE's soft limit leaves
 * after %MS_GATEWAY_FD_RESERVE: (nofile - 64) / 2, and at least one.
 *
 * Returns: the max_connections used when the config does not set it
 */
guint
ms_gateway_limits_default_max_connections(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
		return LIMITS_MAX_CONNECTIONS;
	if (limit.rlim_cur <= MS_GATEWAY_FD_RESERVE + 2)
		return 1;
	return (guint)MIN((limit.rlim_cur - MS_GATEWAY_FD_RESERVE) / 2, LIMITS_MAX_CONNECTIONS);
}

/* where clients are counted and listeners wait */
static MsGatewayLimits *
limits_outermost(MsGatewayLimits *self)
{
	while (self->parent != NULL)
		self = self->parent;
	return self;
}

/**
 * ms_gateway_limits_new:
 * @max_connections: 0 for ms_gateway_limits_default_max_connections()
 * @max_per_client: 0 for no limit per client address
 */
MsGatewayLimits *
ms_gateway_limits_new(guint max_connections, guint max_per_client)
{
	MsGatewayLimits *self = g_new0(MsGatewayLimits, 1);

	g_mutex_init(&self->lock);
	self->clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->waiters = g_ptr_array_new();
	ms_gateway_limits_set(self, max_connections, max_per_client);
	return self;
}

/**
 * ms_gateway_limits_new_within:
 * @outer: (nullable): limits shared with other fronts; they outlive the new ones
 *
 * Limits of one front, with no bound of their own: they count the front's
 * connections, which @outer bounds together with everyone else's.
 */
MsGatewayLimits *
ms_gateway_limits_new_within(MsGatewayLimits *outer)
{
	MsGatewayLimits *self = ms_gateway_limits_new(LIMITS_MAX_CONNECTIONS, 0);

	self->parent = outer;
	return self;
}

static void
limits_wake_waiters(MsGatewayLimits *self)
{
	if (g_atomic_int_get(&self->n_waiters) == 0)
		return;
	g_mutex_lock(&self->lock);
	/* each one looks again from its own context; g_source_set_ready_time() is
	 * thread-safe and wakes that context */
	for (guint i = 0; i < self->waiters->len; i++)
		g_source_set_ready_time(g_ptr_array_index(self->waiters, i), 0);
	g_ptr_array_set_size(self->waiters, 0);
	g_atomic_int_set(&self->n_waiters, 0);
	g_mutex_unlock(&self->lock);
}

/* a reload: connections over a lowered limit stay; new ones wait for it */
void
ms_gateway_limits_set(MsGatewayLimits *self, guint max_connections, guint max_per_client)
{
	if (max_connections == 0)
		max_connections = ms_gateway_limits_default_max_connections();
	g_atomic_int_set(&self->max_connections,
			 (gint)MIN(max_connections, LIMITS_MAX_CONNECTIONS));
	g_atomic_int_set(&self->max_per_client, (gint)MIN(max_per_client, LIMITS_MAX_CONNECTIONS));
	/* a raised limit has room at once */
	limits_wake_waiters(self);
}

/* the tightest bound up the chain */
guint
ms_gateway_limits_get_max_connections(MsGatewayLimits *self)
{
	guint max = G_MAXUINT;

	for (; self != NULL; self = self->parent)
		max = MIN(max, (guint)g_atomic_int_get(&self->max_connections));
	return max;
}

guint
ms_gateway_limits_get_n_open(MsGatewayLimits *self)
{
	return (guint)g_atomic_int_get(&self->n_open);
}

guint64
ms_gateway_limits_get_n_refused(MsGatewayLimits *self, MsGatewayRefusedReason reason)
{
	g_return_val_if_fail(reason < MS_GATEWAY_REFUSED_N_REASONS, 0);
	return __atomic_load_n(&limits_outermost(self)->refused[reason], __ATOMIC_RELAXED);
}

void
ms_gateway_limits_count_refused(MsGatewayLimits *self, MsGatewayRefusedReason reason)
{
	g_return_if_fail(reason < MS_GATEWAY_REFUSED_N_REASONS);
	__atomic_add_fetch(&limits_outermost(self)->refused[reason], 1, __ATOMIC_RELAXED);
}

/* every slot is released first: the fronts are freed before the limits */
void
ms_gateway_limits_free(MsGatewayLimits *self)
{
	if (self == NULL)
		return;
	g_warn_if_fail(g_atomic_int_get(&self->n_open) == 0);
	g_hash_table_unref(self->clients);
	g_ptr_array_unref(self->waiters);
	g_mutex_clear(&self->lock);
	g_free(self);
}

/**
 * ms_gateway_limits_try_reserve:
 *
 * Takes a slot for a connection about to be accepted.
 *
 * Returns: (transfer full) (nullable): the slot, or %NULL at max_connections
 */
static gboolean
limits_take(MsGatewayLimits *self)
{
	gint n = g_atomic_int_get(&self->n_open);

	do {
		if (n >= g_atomic_int_get(&self->max_connections))
			return FALSE;
	} while (!g_atomic_int_compare_and_exchange_full(&self->n_open, n, n + 1, &n));
	return TRUE;
}

static void
limits_give_back(MsGatewayLimits *self)
{
	g_atomic_int_add(&self->n_open, -1);
	limits_wake_waiters(self);
}

MsGatewayLimitsSlot *
ms_gateway_limits_try_reserve(MsGatewayLimits *self)
{
	MsGatewayLimitsSlot *slot;

	for (MsGatewayLimits *level = self; level != NULL; level = level->parent) {
		if (limits_take(level))
			continue;
		for (MsGatewayLimits *taken = self; taken != level; taken = taken->parent)
			limits_give_back(taken);
		return NULL;
	}
	slot = g_new0(MsGatewayLimitsSlot, 1);
	slot->limits = self;
	return slot;
}

/**
 * ms_gateway_limits_slot_set_client:
 * @client: the client's address as text
 *
 * Counts @slot against @client.
 *
 * Returns: %FALSE when @client already holds max_connections_per_client (then
 *   @slot is not counted against it)
 */
gboolean
ms_gateway_limits_slot_set_client(MsGatewayLimitsSlot *slot, const char *client)
{
	MsGatewayLimits *self = limits_outermost(slot->limits);
	guint max = (guint)g_atomic_int_get(&self->max_per_client);
	gpointer value = NULL;
	guint held;

	g_return_val_if_fail(slot->client == NULL, FALSE);
	if (max == 0)
		return TRUE;
	g_mutex_lock(&self->lock);
	held = g_hash_table_lookup_extended(self->clients, client, NULL, &value)
		       ? GPOINTER_TO_UINT(value)
		       : 0;
	if (held >= max) {
		g_mutex_unlock(&self->lock);
		return FALSE;
	}
	g_hash_table_insert(self->clients, g_strdup(client), GUINT_TO_POINTER(held + 1));
	g_mutex_unlock(&self->lock);
	slot->client = g_strdup(client);
	return TRUE;
}

/* the connection is closed: its place goes to the next, maybe in another worker */
void
ms_gateway_limits_slot_release(MsGatewayLimitsSlot *slot)
{
	MsGatewayLimits *self;

	if (slot == NULL)
		return;
	self = limits_outermost(slot->limits);
	if (slot->client != NULL) {
		guint held;

		g_mutex_lock(&self->lock);
		held = GPOINTER_TO_UINT(g_hash_table_lookup(self->clients, slot->client));
		/* a client with nothing open takes no memory */
		if (held <= 1)
			g_hash_table_remove(self->clients, slot->client);
		else
			g_hash_table_insert(self->clients,
					    g_strdup(slot->client),
					    GUINT_TO_POINTER(held - 1));
		g_mutex_unlock(&self->lock);
		g_free(slot->client);
	}
	for (MsGatewayLimits *level = slot->limits; level != NULL; level = level->parent)
		limits_give_back(level);
	g_free(slot);
}

/**
 * ms_gateway_limits_wait:
 * @waiter: a source whose ready time is set to 0, once, when a slot is
 *   released; it must call ms_gateway_limits_unwait() before it is freed
 *
 * Returns: %TRUE when a slot is free already: try again instead of waiting
 *   (then @waiter is not registered)
 */
gboolean
ms_gateway_limits_wait(MsGatewayLimits *self, GSource *waiter)
{
	self = limits_outermost(self);
	g_mutex_lock(&self->lock);
	if (!g_ptr_array_find(self->waiters, waiter, NULL))
		g_ptr_array_add(self->waiters, waiter);
	g_atomic_int_set(&self->n_waiters, (gint)self->waiters->len);
	g_mutex_unlock(&self->lock);
	if (g_atomic_int_get(&self->n_open) < g_atomic_int_get(&self->max_connections)) {
		ms_gateway_limits_unwait(self, waiter);
		return TRUE;
	}
	return FALSE;
}

void
ms_gateway_limits_unwait(MsGatewayLimits *self, GSource *waiter)
{
	self = limits_outermost(self);
	g_mutex_lock(&self->lock);
	g_ptr_array_remove_fast(self->waiters, waiter);
	g_atomic_int_set(&self->n_waiters, (gint)self->waiters->len);
	g_mutex_unlock(&self->lock);
}

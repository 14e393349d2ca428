/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Passive health of one server of a route: what the exchanges the gateway
 * proxies tell of it, shared by every worker. It never asks the server
 * anything (a probe would start a socket-activated service): after
 * MS_UPSTREAM_HEALTH_MAX_FAILS connect failures or timeouts in a row the server
 * is out; after a back-off one request goes to it as a trial, and an answer
 * brings it back in. The back-off doubles with each failed trial, from
 * MS_UPSTREAM_HEALTH_BACKOFF_MIN_USEC to MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC.
 *
 * Lock-free: the request path loads and stores atomics, and an answer from a
 * server that is in stores nothing. Times are monotonic µs given by the caller,
 * so tests can hold the clock.
 */

#define MS_UPSTREAM_HEALTH_MAX_FAILS        3
#define MS_UPSTREAM_HEALTH_BACKOFF_MIN_USEC (1 * G_USEC_PER_SEC)
#define MS_UPSTREAM_HEALTH_BACKOFF_MAX_USEC (10 * G_USEC_PER_SEC)

typedef enum {
	MS_UPSTREAM_HEALTH_IN,        /* takes requests */
	MS_UPSTREAM_HEALTH_OUT,       /* taken out, its back-off still running */
	MS_UPSTREAM_HEALTH_TRIAL_DUE, /* taken out, and the back-off is over */
} MsUpstreamHealthState;

typedef struct _MsUpstreamHealth MsUpstreamHealth;
typedef struct _MsUpstreamHealthTable MsUpstreamHealthTable;

MsUpstreamHealthState
ms_upstream_health_get_state(MsUpstreamHealth *self, gint64 now_us);
gboolean
ms_upstream_health_claim_trial(MsUpstreamHealth *self, gint64 now_us);
void
ms_upstream_health_answered(MsUpstreamHealth *self);
void
ms_upstream_health_failed(MsUpstreamHealth *self, gint64 now_us);
gboolean
ms_upstream_health_is_up(MsUpstreamHealth *self);
gint64
ms_upstream_health_get_retry_at(MsUpstreamHealth *self);
guint
ms_upstream_health_get_fails(MsUpstreamHealth *self);

/* what /metrics counts per server: exchanges begun, and those that failed */
void
ms_upstream_health_count_request(MsUpstreamHealth *self);
void
ms_upstream_health_count_failure(MsUpstreamHealth *self);
guint64
ms_upstream_health_get_requests(MsUpstreamHealth *self);
guint64
ms_upstream_health_get_failures(MsUpstreamHealth *self);

MsUpstreamHealthTable *
ms_upstream_health_table_new(void);
void
ms_upstream_health_table_free(MsUpstreamHealthTable *self);
MsUpstreamHealth *
ms_upstream_health_table_get(MsUpstreamHealthTable *self, const char *route, const char *server);
MsUpstreamHealth *
ms_upstream_health_table_lookup(MsUpstreamHealthTable *self, const char *route, const char *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsUpstreamHealthTable, ms_upstream_health_table_free)

G_END_DECLS

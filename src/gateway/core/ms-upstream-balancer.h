/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-upstream-health.h"

G_BEGIN_DECLS

/*
 * Which replica of a route takes the next exchange, and whether a failed
 * exchange is tried again. One balancer per route and worker: its counts are
 * the worker's own, so picking takes no lock and no atomic write; the servers'
 * health (ms-upstream-health.c) is shared by every worker.
 *
 * Least outstanding requests, ties going round: a replica that is slow (a
 * busier machine, a longer garbage collection, a request that waits on a
 * database) has more requests in flight and gets fewer new ones, where plain
 * round robin would keep giving it its share. Between equals, the scan starts
 * one past the last server picked, so sequential requests alternate. The
 * counts are per worker: with several workers each balances its own share,
 * which is what makes it free of locks.
 */

typedef enum {
	MS_UPSTREAM_OUTCOME_ANSWERED,  /* a response head came */
	MS_UPSTREAM_OUTCOME_UNREACHED, /* connect failed or timed out, or the answer timed out */
	MS_UPSTREAM_OUTCOME_BROKEN,    /* closed or unreadable: says nothing of reachability */
	MS_UPSTREAM_OUTCOME_ABANDONED, /* the client went away first */
} MsUpstreamOutcome;

typedef struct _MsUpstreamBalancer MsUpstreamBalancer;

MsUpstreamBalancer *
ms_upstream_balancer_new(guint n_servers, MsUpstreamHealth *const *health);
void
ms_upstream_balancer_free(MsUpstreamBalancer *self);
gint
ms_upstream_balancer_pick(MsUpstreamBalancer *self, gint64 now_us, gint exclude);
void
ms_upstream_balancer_settle(MsUpstreamBalancer *self,
			    guint server,
			    MsUpstreamOutcome outcome,
			    gint64 now_us);
guint
ms_upstream_balancer_get_outstanding(MsUpstreamBalancer *self, guint server);

/* what is known of an exchange that failed, to decide whether to try again */
typedef struct {
	guint n_servers;       /* of the route */
	gboolean responded;    /* a response head was passed on: too late */
	gboolean nothing_sent; /* the connect failed: no byte of the request left */
	gboolean stale;        /* a reused keep-alive connection closed before any byte came */
	gboolean idempotent;   /* the method may be sent twice */
	gboolean retried;      /* the request was already tried again once */
} MsUpstreamAttempt;

typedef enum {
	MS_UPSTREAM_RETRY_NONE,
	MS_UPSTREAM_RETRY_SAME,  /* on a new connection to the same server */
	MS_UPSTREAM_RETRY_OTHER, /* on another server of the route */
} MsUpstreamRetry;

MsUpstreamRetry
ms_upstream_retry_decide(const MsUpstreamAttempt *attempt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsUpstreamBalancer, ms_upstream_balancer_free)

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-upstream-balancer.h"

struct _MsUpstreamBalancer {
	guint n_servers;
	guint next; /* where the next scan starts: equals take turns */
	MsUpstreamHealth **health;
	guint *outstanding; /* exchanges picked and not yet settled, per server */
};

/**
 * ms_upstream_balancer_new:
 * @health: (array length=n_servers): each server's shared health, which
 *   outlives the balancer
 */
MsUpstreamBalancer *
ms_upstream_balancer_new(guint n_servers, MsUpstreamHealth *const *health)
{
	MsUpstreamBalancer *self = g_new0(MsUpstreamBalancer, 1);

	g_return_val_if_fail(n_servers > 0, NULL);
	self->n_servers = n_servers;
	self->health = g_memdup2(health, n_servers * sizeof(*health));
	self->outstanding = g_new0(guint, n_servers);
	return self;
}

void
ms_upstream_balancer_free(MsUpstreamBalancer *self)
{
	if (self == NULL)
		return;
	g_free(self->health);
	g_free(self->outstanding);
	g_free(self);
}

static gint
picked(MsUpstreamBalancer *self, guint server)
{
	self->next = (server + 1) % self->n_servers;
	self->outstanding[server]++;
	ms_upstream_health_count_request(self->health[server]);
	return (gint)server;
}

/**
 * ms_upstream_balancer_pick:
 * @exclude: a server not to pick (the one that just failed), or -1
 *
 * A server whose trial is due gets it first: one request, and the server is
 * back in or out for longer. Else the server in with the fewest exchanges
 * outstanding. When every server but @exclude is out, the one whose trial is
 * nearest is tried anyway: a request that may fail beats one refused
 * unsent. Every pick is settled once, with ms_upstream_balancer_settle().
 *
 * Returns: the server's index, -1 when @exclude is the only one
 */
gint
ms_upstream_balancer_pick(MsUpstreamBalancer *self, gint64 now_us, gint exclude)
{
	gint best = -1;
	gint nearest = -1;

	for (guint k = 0; k < self->n_servers; k++) {
		guint i = (self->next + k) % self->n_servers;
		MsUpstreamHealth *health = self->health[i];

		if ((gint)i == exclude)
			continue;
		switch (ms_upstream_health_get_state(health, now_us)) {
		case MS_UPSTREAM_HEALTH_IN:
			if (best < 0 || self->outstanding[i] < self->outstanding[best])
				best = (gint)i;
			break;
		case MS_UPSTREAM_HEALTH_TRIAL_DUE:
			if (ms_upstream_health_claim_trial(health, now_us))
				return picked(self, i);
			break;
		case MS_UPSTREAM_HEALTH_OUT:
		default:
			break;
		}
		if (nearest < 0 || ms_upstream_health_get_retry_at(health) <
					   ms_upstream_health_get_retry_at(self->health[nearest]))
			nearest = (gint)i;
	}
	if (best >= 0)
		return picked(self, (guint)best);
	if (nearest >= 0)
		return picked(self, (guint)nearest);
	return -1;
}

/**
 * ms_upstream_balancer_settle:
 * @server: what ms_upstream_balancer_pick() returned
 *
 * The exchange with @server ended as @outcome (its response head came, or it
 * failed, or its client left): it is no longer outstanding, and the server's
 * health learns what it says.
 */
void
ms_upstream_balancer_settle(MsUpstreamBalancer *self,
			    guint server,
			    MsUpstreamOutcome outcome,
			    gint64 now_us)
{
	MsUpstreamHealth *health = self->health[server];

	g_return_if_fail(server < self->n_servers && self->outstanding[server] > 0);
	self->outstanding[server]--;
	switch (outcome) {
	case MS_UPSTREAM_OUTCOME_ANSWERED:
		ms_upstream_health_answered(health);
		break;
	case MS_UPSTREAM_OUTCOME_UNREACHED:
		ms_upstream_health_count_failure(health);
		ms_upstream_health_failed(health, now_us);
		break;
	case MS_UPSTREAM_OUTCOME_BROKEN:
		ms_upstream_health_count_failure(health);
		break;
	case MS_UPSTREAM_OUTCOME_ABANDONED:
	default:
		break;
	}
}

guint
ms_upstream_balancer_get_outstanding(MsUpstreamBalancer *self, guint server)
{
	g_return_val_if_fail(server < self->n_servers, 0);
	return self->outstanding[server];
}

/**
 * ms_upstream_retry_decide:
 *
 * Once per request, and never after a response head went to the client. With
 * replicas, a request nothing of which was sent (the connect failed), or an
 * idempotent one, goes to another server. With one server, only a reused
 * keep-alive connection that the server had closed (it restarted, or timed
 * the connection out) is worth a new connection.
 */
MsUpstreamRetry
ms_upstream_retry_decide(const MsUpstreamAttempt *attempt)
{
	if (attempt->responded || attempt->retried)
		return MS_UPSTREAM_RETRY_NONE;
	if (!attempt->nothing_sent && !attempt->idempotent)
		return MS_UPSTREAM_RETRY_NONE;
	if (attempt->n_servers > 1)
		return MS_UPSTREAM_RETRY_OTHER;
	return attempt->stale ? MS_UPSTREAM_RETRY_SAME : MS_UPSTREAM_RETRY_NONE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/service/ms-gateway-metrics.h"
#include "gateway/ports/ms-upstream.h"

/*
 * The gateway's side of MsMetrics: the one place a request's outcome becomes
 * counters, once it is finished (the policy steps only record on the request
 * what they decided), and the text of GET /metrics.
 */

static void
count_upstream_failure(MsMetricsRoute *metrics, guint failure)
{
	switch (failure - 1) {
	case MS_UPSTREAM_FAILURE_CONNECT:
		ms_metrics_route_upstream_error(metrics, MS_UPSTREAM_ERROR_CONNECT);
		break;
	case MS_UPSTREAM_FAILURE_TIMEOUT:
		ms_metrics_route_upstream_error(metrics, MS_UPSTREAM_ERROR_TIMEOUT);
		break;
	case MS_UPSTREAM_FAILURE_BROKEN:
	case MS_UPSTREAM_FAILURE_PROTOCOL:
		ms_metrics_route_upstream_error(metrics, MS_UPSTREAM_ERROR_BROKEN);
		break;
	default:
		ms_metrics_route_upstream_error(metrics, MS_UPSTREAM_ERROR_OTHER);
		break;
	}
}

/* what the policy steps recorded */
static void
count_policies(MsMetrics *registry, MsMetricsRoute *metrics, const MsPolicyRecord *record)
{
	if (record->auth_failure != 0)
		ms_metrics_auth_failure(registry, (MsAuthFailureKind)(record->auth_failure - 1));
	if (record->rate_limited)
		ms_metrics_route_rate_limited(metrics);
	if (record->cache == MS_CACHE_OUTCOME_HIT)
		ms_metrics_route_cache_hit(metrics);
	else if (record->cache == MS_CACHE_OUTCOME_MISS)
		ms_metrics_route_cache_miss(metrics);
}

/**
 * ms_gateway_metrics_record:
 *
 * Counts one finished (or aborted) request: by route, method, status class,
 * duration, the upstream failure if there was one, and what its policies
 * decided. A head the front refused has no route, and maybe no method
 * (%NULL): it counts under route "" and method "other", so that bad requests
 * still show in the totals.
 */
void
ms_gateway_metrics_record(MsMetrics *registry, MsGatewayRequest *request, gint64 duration_us)
{
	const MsRoute *route = ms_gateway_request_get_route(request);
	MsMetricsRoute *metrics = ms_metrics_get_route(registry, route != NULL ? route->name : "");
	guint failure = ms_gateway_request_get_upstream_failure(request);

	ms_metrics_route_observe(metrics,
				 ms_gateway_request_get_method(request),
				 ms_gateway_request_get_status(request),
				 duration_us);
	if (failure != 0)
		count_upstream_failure(metrics, failure);
	count_policies(registry, metrics, &request->record);
}

/**
 * ms_gateway_metrics_send:
 *
 * Answers GET /metrics: the Prometheus text of @registry, then each route's
 * servers as @health knows them, never cached.
 */
void
ms_gateway_metrics_send(MsMetrics *registry, MsHealth *health, MsGatewayRequest *request)
{
	MsHttpFields *headers = ms_gateway_request_get_response_headers(request);
	g_autoptr(GArray) servers =
		ms_health_collect_servers(health,
					  ms_gateway_request_get_config(request),
					  g_get_monotonic_time());
	g_autofree char *counters = ms_metrics_render(registry);
	GString *text = g_string_new(counters);
	gsize length;
	g_autoptr(GBytes) body = NULL;

	ms_metrics_render_servers(text, (MsMetricsServer *)(void *)servers->data, servers->len);
	length = text->len;
	body = g_bytes_new_take(g_string_free(text, FALSE), length);

	ms_http_fields_replace_id(headers, MS_HTTP_FIELD_CACHE_CONTROL, "no-store");
	ms_http_fields_replace_id(headers, MS_HTTP_FIELD_CONTENT_TYPE, MS_METRICS_CONTENT_TYPE);
	ms_gateway_request_respond(request, SOUP_STATUS_OK, body);
}

/*
 * [gateway] metrics_allow: loopback, a client on this host; address ranges, a
 * client in one of them; admin, nobody without credentials. The front gives
 * the client's address as text; one it cannot say (a Unix socket peer) is in
 * no range and not taken for local.
 */
gboolean
ms_gateway_metrics_client_allowed(MsGatewayRequest *request, const MsGatewayGlobals *globals)
{
	const char *remote = ms_gateway_request_get_remote_addr(request);
	g_autoptr(GInetAddress) address = NULL;

	if (remote == NULL || globals->metrics_allow == MS_METRICS_ALLOW_ADMIN)
		return FALSE;
	address = g_inet_address_new_from_string(remote);
	if (address == NULL)
		return FALSE;
	if (globals->metrics_allow == MS_METRICS_ALLOW_LOOPBACK)
		return g_inet_address_get_is_loopback(address);
	for (guint i = 0; i < globals->metrics_ranges->len; i++) {
		if (g_inet_address_mask_matches(globals->metrics_ranges->pdata[i], address))
			return TRUE;
	}
	return FALSE;
}

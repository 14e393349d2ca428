/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-gateway-endpoints.h"

#include "common/ms-i18n.h"
#include "gateway/service/ms-gateway-metrics.h"
#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-gateway.h"
#include "gateway/service/policy/ms-policy-auth.h"

/*
 * The paths the gateway answers itself, outside /api: a fixed table, so
 * what it serves is known from this file alone.
 *   /healthz  200 while the process runs
 *   /readyz   each route's upstream and the configuration's state
 *             (ms-health.c), 503 when degraded
 *   /metrics  Prometheus text, for a loopback client ([gateway]
 *             metrics_allow = loopback) or an admin
 */

static MsGateway *
gateway_of(MsGatewayRequest *request)
{
	return ms_gateway_worker_get_gateway(request->worker);
}

static gboolean
is_get_or_head(MsGatewayRequest *request)
{
	const char *method = ms_gateway_request_get_method(request);

	return method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD;
}

static void
serve_health(MsGatewayRequest *request)
{
	g_autoptr(JsonNode) body = NULL;

	if (!is_get_or_head(request)) {
		ms_http_fields_replace_id(ms_gateway_request_get_response_headers(request),
					  MS_HTTP_FIELD_ALLOW,
					  "GET, HEAD");
		ms_gateway_request_problem(request,
					   SOUP_STATUS_METHOD_NOT_ALLOWED,
					   "method_not_allowed",
					   N_("Method not allowed"),
					   NULL);
		return;
	}
	if (g_strcmp0(ms_gateway_request_get_path(request), "/readyz") == 0) {
		MsGateway *gateway = gateway_of(request);
		g_autoptr(MsGatewayConfig) config = ms_gateway_dup_config(gateway);
		gboolean ready = FALSE;

		body = ms_health_readiness(ms_gateway_get_health(gateway),
					   config,
					   g_get_monotonic_time(),
					   &ready);
		ms_gateway_request_respond_json(request,
						ready ? SOUP_STATUS_OK
						      : SOUP_STATUS_SERVICE_UNAVAILABLE,
						NULL,
						body);
		return;
	}
	body = json_from_string("{\"status\":\"ok\"}", NULL);
	ms_gateway_request_respond_json(request, SOUP_STATUS_OK, NULL, body);
}

static void
send_metrics(MsGatewayRequest *request)
{
	MsGateway *gateway = gateway_of(request);

	ms_gateway_metrics_send(ms_gateway_get_metrics(gateway),
				ms_gateway_get_health(gateway),
				request);
}

static void
serve_metrics(MsGatewayRequest *request)
{
	MsGatewayConfig *config = ms_gateway_request_get_config(request);
	MsPolicyState *state = ms_gateway_get_policy_state(gateway_of(request));

	if (!is_get_or_head(request)) {
		ms_gateway_request_refuse_method(request, "GET, HEAD");
		return;
	}
	if (ms_gateway_metrics_client_allowed(request, ms_gateway_config_get_globals(config))) {
		send_metrics(request);
		return;
	}
	/* suspended while a password is hashed, like a route's request */
	if (ms_policy_auth_require(request, state, MS_ROLE_ADMIN, FALSE, send_metrics) ==
	    MS_POLICY_PASS)
		send_metrics(request);
}

static const struct {
	const char *path;
	void (*serve)(MsGatewayRequest *request);
} endpoints[] = {
	{ "/healthz", serve_health },
	{ "/readyz", serve_health },
	{ "/metrics", serve_metrics },
};

/**
 * ms_gateway_endpoints_serve:
 * @path: (nullable): the canonical path of a request no route takes
 *
 * Returns: %TRUE when @path is the gateway's own, and @request was answered
 *   (or waits for its credentials to be checked)
 */
gboolean
ms_gateway_endpoints_serve(MsGatewayRequest *request, const char *path)
{
	for (guint i = 0; i < G_N_ELEMENTS(endpoints); i++) {
		if (g_strcmp0(path, endpoints[i].path) == 0) {
			endpoints[i].serve(request);
			return TRUE;
		}
	}
	return FALSE;
}

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "ms-gateway-metrics.h"
#include "ms-upstream.h"

/* the gateway's side of MsMetrics: what a finished request counts, and GET /metrics */

/**
 * ms_gateway_metrics_observe:
 * @request: (nullable): %NULL for what libsoup refused before routing
 *
 * Counts one finished (or aborted) request: by route, method, status class,
 * duration, and the upstream failure if there was one.
 */
void
ms_gateway_metrics_observe(MsMetrics *registry,
			   MsGatewayRequest *request,
			   SoupServerMessage *msg,
			   gint64 duration_us)
{
	const MsRoute *route = request != NULL ? ms_gateway_request_get_route(request) : NULL;
	MsMetricsRoute *metrics = ms_metrics_get_route(registry, route != NULL ? route->name : "");
	guint failure = request != NULL ? ms_gateway_request_get_upstream_failure(request) : 0;

	ms_metrics_route_observe(metrics,
				 soup_server_message_get_method(msg),
				 soup_server_message_get_status(msg),
				 duration_us);
	if (failure == 0)
		return;
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

/**
 * ms_gateway_metrics_send:
 *
 * Answers GET /metrics: the Prometheus text of @registry, never cached.
 */
void
ms_gateway_metrics_send(MsMetrics *registry, SoupServerMessage *msg)
{
	g_autofree char *text = ms_metrics_render(registry);
	gsize len = strlen(text);

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Cache-Control",
				     "no-store");
	soup_server_message_set_response(msg,
					 MS_METRICS_CONTENT_TYPE,
					 SOUP_MEMORY_TAKE,
					 g_steal_pointer(&text),
					 len);
}

/* [gateway] metrics_allow = loopback: a client on this host */
gboolean
ms_gateway_metrics_is_local_client(SoupServerMessage *msg)
{
	GSocketAddress *address = soup_server_message_get_remote_address(msg);

	if (G_IS_UNIX_SOCKET_ADDRESS(address))
		return TRUE; /* same host, and the socket's mode decides who connects */
	if (G_IS_INET_SOCKET_ADDRESS(address))
		return g_inet_address_get_is_loopback(
			g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
	return FALSE;
}

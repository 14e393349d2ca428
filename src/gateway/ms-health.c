#include "config.h"

#include "ms-gateway-private.h"

#include "common/ms-i18n.h"

/*
 * /healthz: the gateway itself answers. /readyz: every route's upstream accepts
 * a connection (a blocking connect of at most a second each: health checks are
 * rare, Unix sockets answer at once).
 */

static JsonNode *
readiness(MsGatewayConfig *config, gboolean *ready)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	*ready = TRUE;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "upstreams");
	json_builder_begin_array(builder);
	for (guint i = 0; i < ms_gateway_config_get_n_routes(config); i++) {
		const MsRoute *route = ms_gateway_config_get_route(config, i);
		g_autoptr(GError) error = NULL;
		gboolean up;

		if (route->upstream == NULL)
			continue;
		up = ms_upstream_probe(route, &error);
		*ready = *ready && up;
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "route");
		json_builder_add_string_value(builder, route->name);
		json_builder_set_member_name(builder, "upstream");
		json_builder_add_string_value(builder, route->upstream);
		json_builder_set_member_name(builder, "state");
		json_builder_add_string_value(builder, up ? "up" : "down");
		if (error != NULL) {
			json_builder_set_member_name(builder, "error");
			json_builder_add_string_value(builder, error->message);
		}
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, *ready ? "ready" : "unready");
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

void
ms_health_handle(MsGatewayRequest *request, MsGateway *gateway, const char *path)
{
	g_autoptr(JsonNode) body = NULL;
	const char *method = ms_gateway_request_get_method(request);

	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		soup_message_headers_replace(ms_gateway_request_get_response_headers(request),
					     "Allow",
					     "GET, HEAD");
		ms_gateway_request_problem(request,
					   SOUP_STATUS_METHOD_NOT_ALLOWED,
					   "method_not_allowed",
					   N_("Method not allowed"),
					   NULL);
		return;
	}
	if (g_strcmp0(path, "/readyz") == 0) {
		g_autoptr(MsGatewayConfig) config = ms_gateway_dup_config(gateway);
		gboolean ready = FALSE;

		body = readiness(config, &ready);
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

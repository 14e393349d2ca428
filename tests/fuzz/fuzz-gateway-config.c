/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "gateway/core/ms-gateway-config.h"

/* libFuzzer entry: any bytes as gateway.conf must parse or fail cleanly */
int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config = NULL;

	if (size > 64 * 1024)
		return 0;
	config = ms_gateway_config_load_data((const char *)data, size, "fuzz.conf", &error);
	if (config != NULL) {
		/* exercise the lookups the gateway does per request */
		for (guint i = 0; i < ms_gateway_config_get_n_routes(config); i++) {
			const MsRoute *route = ms_gateway_config_get_route(config, i);
			g_assert(ms_gateway_config_lookup(config, route->prefix) != NULL);
			g_assert(ms_gateway_config_find_route(config, route->name) == route);
			/* every route with an upstream has its servers, each one parsed */
			g_assert((route->upstream != NULL) == (route->n_servers > 0));
			for (guint j = 0; j < route->n_servers; j++)
				g_assert(route->servers[j].text != NULL &&
					 route->servers[j].authority != NULL);
		}
		ms_gateway_config_lookup(config, "/api/hello/x");
	} else {
		g_assert(error != NULL);
	}
	return 0;
}

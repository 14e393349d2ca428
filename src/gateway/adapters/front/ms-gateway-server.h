#pragma once

#include "gateway/service/ms-gateway.h"

G_BEGIN_DECLS

/*
 * The gateway's server loop: N worker threads (one or more), each with its own
 * GMainContext, front (ms-gateway-front.h) and upstream pools, all accepting on
 * the same listening sockets. The main thread only handles signals, reloads,
 * readiness, the watchdog and idle exit.
 */

gboolean
ms_gateway_server_run(MsGateway *gateway,
		      GPtrArray *sockets,
		      guint n_workers,
		      guint idle_timeout,
		      const char *config_path,
		      GError **error);

G_END_DECLS

#pragma once

#include "ms-gateway.h"

G_BEGIN_DECLS

/*
 * The gateway's multi-threaded server loop (--workers=N > 1): N threads, each
 * with its own GMainContext, SoupServer and upstream pools, all accepting on the
 * same listening sockets. The main thread only handles signals, readiness, the
 * watchdog and idle exit. With one worker the gateway uses MsRuntime instead.
 */

gboolean
ms_gateway_server_run(MsGateway *gateway,
		      GPtrArray *sockets,
		      guint n_workers,
		      guint idle_timeout,
		      const char *config_path,
		      GError **error);

G_END_DECLS

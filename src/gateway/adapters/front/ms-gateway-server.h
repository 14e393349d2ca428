/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "common/ms-runtime-server.h"
#include "gateway/service/ms-gateway.h"

G_BEGIN_DECLS

/*
 * The gateway's server for MsRuntime: N worker threads (one or more), each
 * with its own GMainContext, front (ms-gateway-front.h) and upstream pools,
 * all accepting on the same listening sockets, within the connection limits
 * of the gateway's configuration. Signals, systemd and the idle exit are the
 * runtime's, on the main thread.
 */

MsRuntimeServer *
ms_gateway_server_new(MsGateway *gateway, guint n_workers);
void
ms_gateway_server_apply_limits(MsRuntimeServer *server);

G_END_DECLS

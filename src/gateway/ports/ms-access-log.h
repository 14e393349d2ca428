/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-gateway-config.h"

G_BEGIN_DECLS

/*
 * What the service tells the journal about a request: one access entry when
 * it finishes, a warning when an upstream fails it. The telemetry adapter
 * (adapters/telemetry/ms-gateway-log.c) writes them; the service calls only
 * this seam.
 */

/* the journald catalog entry for an upstream failure (data/microsoup.catalog) */
#define MS_GATEWAY_UPSTREAM_FAILED_MESSAGE_ID "0b88bb6f159c4945bb886a30c54524eb"

/* ms-gateway.h names it too; the port does not include the service */
typedef struct _MsGatewayRequest MsGatewayRequest;

void
ms_gateway_log_access(MsGatewayRequest *request, gint64 duration_us);
void
ms_gateway_log_upstream_failure(MsGatewayRequest *request, guint status, const char *message);
void
ms_gateway_log_part_failure(MsGatewayRequest *request,
			    const MsRoute *part,
			    guint status,
			    const char *message);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

/*
 * Aggregation routes (a route with upstreams= in gateway.conf): one GET calls every part
 * route's upstream concurrently through the worker's upstream pool, each with
 * the part route's own timeout_ms, and answers
 * {"complete": bool, "parts": {"<route>": <body or problem>}}.
 */

/* a part's answer is held whole to be embedded: it may be at most this long */
#define MS_AGGREGATE_MAX_PART_BYTES (256 * 1024)

void
ms_aggregate_start(MsGatewayRequest *request);
void
ms_aggregate_abort(MsGatewayRequest *request);
void
ms_aggregate_free(MsAggregate *self);

G_END_DECLS

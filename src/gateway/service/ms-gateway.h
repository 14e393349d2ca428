/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/core/policy/ms-credentials.h"
#include "gateway/service/ms-health.h"
#include "gateway/service/policy/ms-policy-state.h"

G_BEGIN_DECLS

/*
 * The gateway: routes the requests its fronts read (one per worker thread,
 * ms-gateway-front.h) to their upstreams, answers its own errors as problem+json, writes
 * one access entry per request and swaps its configuration on reload.
 */

#define MS_TYPE_GATEWAY (ms_gateway_get_type())
G_DECLARE_FINAL_TYPE(MsGateway, ms_gateway, MS, GATEWAY, GObject)

typedef struct _MsGatewayRequest MsGatewayRequest;
typedef struct _MsGatewayWorker MsGatewayWorker;

MsGateway *
ms_gateway_new(MsGatewayConfig *config, MsCredentials *credentials);
MsPolicyState *
ms_gateway_get_policy_state(MsGateway *self);
MsMetrics *
ms_gateway_get_metrics(MsGateway *self);
MsHealth *
ms_gateway_get_health(MsGateway *self);
MsGatewayConfig *
ms_gateway_dup_config(MsGateway *self);
void
ms_gateway_set_config(MsGateway *self, MsGatewayConfig *config);
gboolean
ms_gateway_reload(MsGateway *self, const char *path, GError **error);
MsGatewayWorker *
ms_gateway_add_worker(MsGateway *self, GMainContext *context);
void
ms_gateway_detach(MsGateway *self, MsGatewayWorker *worker);
/* the configuration's state as /readyz reports it; anything but "ok" answers 503 */
void
ms_gateway_set_config_state(MsGateway *self, const char *state, const char *message);
char *
ms_gateway_dup_config_state(MsGateway *self, char **message);
char *
ms_gateway_dup_degraded_status(MsGateway *self);

G_END_DECLS

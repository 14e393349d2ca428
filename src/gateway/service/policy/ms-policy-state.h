/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/core/policy/ms-authenticator.h"
#include "gateway/core/policy/ms-rate-limiter.h"
#include "gateway/core/policy/ms-response-cache.h"

G_BEGIN_DECLS

/*
 * What the policy steps share across requests, workers and reloads: the
 * authenticator (users, API keys, failed-login throttling), each route's rate
 * limiter, the response cache and the metrics. The gateway makes one with
 * itself (ms_gateway_new()); every worker thread uses it.
 */

typedef struct _MsPolicyState MsPolicyState;

MsPolicyState *
ms_policy_state_new(MsCredentials *credentials, guint64 cache_max_bytes);
void
ms_policy_state_free(MsPolicyState *self);
void
ms_policy_state_reload(MsPolicyState *self, MsCredentials *credentials);
void
ms_policy_state_expire(MsPolicyState *self);

MsAuthenticator *
ms_policy_state_get_authenticator(MsPolicyState *self);
MsRateLimiter *
ms_policy_state_get_limiter(MsPolicyState *self, const MsRoute *route);
MsResponseCache *
ms_policy_state_get_cache(MsPolicyState *self, gsize *max_bytes);
MsMetrics *
ms_policy_state_get_metrics(MsPolicyState *self);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/core/ms-upstream-health.h"

G_BEGIN_DECLS

/*
 * What /readyz says, from what the gateway already knows: the outcome of the
 * last exchange proxied to each upstream, a stat() of each Unix socket, and
 * the configuration's own state. It never connects: a connect would start a
 * socket-activated service, and a monitor polling /readyz would then keep
 * every service from ever scaling to zero.
 */

/* how long the last proxied exchange speaks for its upstream */
#define MS_HEALTH_RECENT_USEC (30 * G_USEC_PER_SEC)

typedef struct _MsHealth MsHealth;
typedef struct _MsHealthRecord MsHealthRecord;

MsHealth *
ms_health_new(void);
void
ms_health_free(MsHealth *self);

MsUpstreamHealthTable *
ms_health_get_servers(MsHealth *self);
MsHealthRecord *
ms_health_get_record(MsHealth *self, const char *upstream);
const char *
ms_health_record_get_upstream(MsHealthRecord *record);
void
ms_health_record_answered(MsHealthRecord *record, gint64 now_us);
void
ms_health_record_failed(MsHealthRecord *record, gint64 now_us, const char *message);

void
ms_health_set_config_state(MsHealth *self, const char *state, const char *message);
char *
ms_health_dup_config_state(MsHealth *self, char **message);

JsonNode *
ms_health_readiness(MsHealth *self, MsGatewayConfig *config, gint64 now_us, gboolean *ready);

GArray *
ms_health_collect_servers(MsHealth *self, MsGatewayConfig *config, gint64 now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHealth, ms_health_free)

G_END_DECLS

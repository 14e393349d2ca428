/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/service/ms-gateway.h"

/*
 * What the gateway's in-process integration tests share: a capture of the
 * structured log, the gateway's configuration and policies' credentials made from
 * text, a front server with a session, and an upstream that echoes requests.
 */

/* installs a log capture; one GHashTable (field → string value) per entry */
GPtrArray *
ms_gateway_test_log_capture(void);
void
ms_gateway_test_log_release(GPtrArray *log);
GPtrArray *
ms_gateway_test_log_values(GPtrArray *log, const char *field);
GHashTable *
ms_gateway_test_wait_access_entry(GPtrArray *log, const char *request_id);

MsGatewayConfig *
ms_gateway_test_config_new(const char *text);
MsGateway *
ms_gateway_test_new(MsGatewayConfig *config, const char *users, const char *api_keys);
GSocket *
ms_gateway_test_listen_loopback(GSocketAddress **bound);
/* the gateway's own front (ms-gateway-front.h) on a loopback TCP port */
typedef struct _MsGatewayTestFront MsGatewayTestFront;

MsGatewayTestFront *
ms_gateway_test_front_new(MsGateway *gateway, SoupSession **session);
void
ms_gateway_test_front_free(MsGatewayTestFront *front, SoupSession *session);

void
ms_gateway_test_send_echo(SoupServerMessage *msg, const char *path, guint status);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

gboolean
ms_gateway_endpoints_serve(MsGatewayRequest *request, const char *path);

G_END_DECLS

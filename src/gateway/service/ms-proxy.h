/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

void
ms_proxy_start(MsGatewayRequest *request);
void
ms_proxy_abort(MsGatewayRequest *request);

G_END_DECLS

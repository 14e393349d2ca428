/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

void
ms_policy_chain_admit(MsGatewayRequest *request);

G_END_DECLS

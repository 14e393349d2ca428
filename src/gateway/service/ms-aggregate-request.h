/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

/* a part's request head: ms-aggregate-plan.h decides its path and query */
void
ms_aggregate_write_request(MsGatewayRequest *request,
			   const MsRoute *part,
			   const MsUpstreamServer *server,
			   GString *out);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-head-put.h"
#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

void
ms_upstream_head_write_request_line(GString *out,
				    const char *method,
				    const char *path,
				    const char *query,
				    const char *authority);
void
ms_upstream_head_write_gateway_fields(MsGatewayRequest *request, GString *out);
void
ms_upstream_head_write_content_length(GString *out, guint64 length);

G_END_DECLS

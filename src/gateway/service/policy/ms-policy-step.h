/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

/* what a policy step did with a request: the chain goes on only after PASS */
typedef enum {
	MS_POLICY_PASS,      /* on to the next step */
	MS_POLICY_ANSWERED,  /* the step answered the request, which ends there */
	MS_POLICY_SUSPENDED, /* the step waits for a thread, then calls its continuation */
} MsPolicyOutcome;

/* where a suspended step goes on once it let the request pass */
typedef void (*MsPolicyContinueFunc)(MsGatewayRequest *request);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-http-error.h"

G_BEGIN_DECLS

/*
 * The request target made canonical once, in the front (RFC 3986 §6, RFC 9112
 * §3.2): the gateway matches routes on the very path it forwards, so no
 * spelling of a path can reach a route with another route's rights.
 */

MsHttpError
ms_http_target_normalize(const char *target, char **path, char **query, char **authority);

gboolean
ms_http_host_is_valid(const char *host);

G_END_DECLS

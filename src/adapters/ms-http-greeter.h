/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

/*
 * A far greeter: another microsoup greeter service reached with HTTP over its Unix
 * socket, GET /<name>[?name=N] → {"message": "..."}.
 */
#define MS_TYPE_HTTP_GREETER (ms_http_greeter_get_type())
G_DECLARE_FINAL_TYPE(MsHttpGreeter, ms_http_greeter, MS, HTTP_GREETER, GObject)

/* pooled connections close well before a service's 30 s idle exit */
#define MS_HTTP_GREETER_IDLE_TIMEOUT_S 5
/* a greeting is a short JSON object; anything much larger is not one */
#define MS_HTTP_GREETER_MAX_BODY_BYTES (16 * 1024)

MsHttpGreeter *
ms_http_greeter_new(const char *name, const char *upstream, gboolean accepts_name, GError **error);
void
ms_http_greeter_set_timeout(MsHttpGreeter *self, guint timeout_ms);

G_END_DECLS

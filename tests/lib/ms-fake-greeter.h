/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

/*
 * A greeter for tests: answers what an inner greeter says, after a delay, or fails
 * with a given MsGreeterError instead. It remembers what it was last asked.
 */
#define MS_TYPE_FAKE_GREETER (ms_fake_greeter_get_type())
G_DECLARE_FINAL_TYPE(MsFakeGreeter, ms_fake_greeter, MS, FAKE_GREETER, GObject)

#define MS_FAKE_GREETER_NO_ERROR (-1)

MsFakeGreeter *
ms_fake_greeter_new(MsGreeter *inner, guint delay_ms, int error_code);
guint
ms_fake_greeter_get_calls(MsFakeGreeter *self);
guint
ms_fake_greeter_get_cancelled(MsFakeGreeter *self);
const char *
ms_fake_greeter_get_last_name(MsFakeGreeter *self);
const char *
ms_fake_greeter_get_last_language(MsFakeGreeter *self);
const char *
ms_fake_greeter_get_last_request_id(MsFakeGreeter *self);

G_END_DECLS

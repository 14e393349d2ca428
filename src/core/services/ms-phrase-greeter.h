/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

#define MS_TYPE_PHRASE_GREETER (ms_phrase_greeter_get_type())
G_DECLARE_FINAL_TYPE(MsPhraseGreeter, ms_phrase_greeter, MS, PHRASE_GREETER, GObject)

MsGreeter *
ms_phrase_greeter_new(const char *name, const char *phrase, const char *phrase_with_name);
MsGreeter *
ms_hello_service_new(void);
MsGreeter *
ms_world_service_new(void);
MsGreeter *
ms_goodbye_service_new(void);

G_END_DECLS

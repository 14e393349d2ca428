/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

int
ms_greeter_main(int argc, char **argv, MsGreeter *greeter, const char *summary);

G_END_DECLS

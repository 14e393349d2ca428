/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "core/services/ms-calculator-service.h"

G_BEGIN_DECLS

#define MS_CALC_USER_HEADER    "X-Microsoup-User"
#define MS_CALC_ANONYMOUS_USER "anonymous"
#define MS_CALC_USER_MAX_CHARS 64

void
ms_calculator_handler_register(SoupServer *server, MsCalculatorService *service);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

const char *
ms_language_negotiate(const char *accept_language);
const char *
ms_language_for_message(SoupServerMessage *msg);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* marks a string for xgettext without translating it here */
#ifndef N_
#define N_(String) (String)
#endif

#define MS_I18N_DEFAULT_LANGUAGE "en"

void
ms_i18n_init(void);
const char *const *
ms_i18n_get_languages(void);
const char *
ms_i18n_gettext(const char *language, const char *msgid) G_GNUC_FORMAT(2);
char *
ms_i18n_strdup_vprintf(const char *language, const char *msgid, va_list args) G_GNUC_PRINTF(2, 0);
void
ms_i18n_set_error(GError **error,
		  GQuark domain,
		  gint code,
		  const char *language,
		  const char *msgid,
		  ...) G_GNUC_PRINTF(5, 6);
gboolean
ms_i18n_catalog_parse(GBytes *mo, GHashTable *into, GError **error);

G_END_DECLS

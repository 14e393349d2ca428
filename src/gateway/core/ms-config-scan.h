/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * GKeyFile reports neither line numbers nor duplicate groups and keys (it merges
 * them silently), so a small line scanner runs over the text first: it checks the
 * line syntax, refuses duplicates and later answers "which line holds this key".
 */

/* what is wrong with a gateway.conf: the scanner finds the first of them */
#define MS_GATEWAY_CONFIG_ERROR (ms_gateway_config_error_quark())

typedef enum {
	MS_GATEWAY_CONFIG_ERROR_SYNTAX,
	MS_GATEWAY_CONFIG_ERROR_UNKNOWN_GROUP,
	MS_GATEWAY_CONFIG_ERROR_UNKNOWN_KEY,
	MS_GATEWAY_CONFIG_ERROR_BAD_VALUE,
	MS_GATEWAY_CONFIG_ERROR_MISSING_KEY,
	MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
} MsGatewayConfigError;

GQuark
ms_gateway_config_error_quark(void);

typedef struct _MsConfigScan MsConfigScan;

MsConfigScan *
ms_config_scan_new(const char *data, gsize length, const char *filename, GError **error);
void
ms_config_scan_free(MsConfigScan *self);
guint
ms_config_scan_find_line(MsConfigScan *self, const char *group, const char *key);
const char *
ms_config_scan_get_filename(MsConfigScan *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsConfigScan, ms_config_scan_free)

G_END_DECLS

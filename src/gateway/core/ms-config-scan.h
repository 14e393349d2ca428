#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * GKeyFile reports neither line numbers nor duplicate groups and keys (it merges
 * them silently), so a small line scanner runs over the text first: it checks the
 * line syntax, refuses duplicates and later answers "which line holds this key".
 */

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

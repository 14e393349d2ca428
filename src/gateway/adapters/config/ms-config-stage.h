/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "gateway/service/ms-gateway.h"

G_BEGIN_DECLS

/*
 * The configuration set an operator edits (gateway.conf, users, api-keys)
 * reaches a gateway run by systemd through the gateway's state directory, so
 * that a mistake in it never takes the gateway down (ms-config-stage.c).
 */

/* journald catalog (data/microsoup.catalog): a configuration set was refused */
#define MS_MESSAGE_ID_CONFIG_REFUSED "a2a9bc68c8f84295bbb812f3fdef5890"

/* the set as it is in the state directory: a symbolic link to the last good set */
#define MS_CONFIG_STAGE_CURRENT "current"

typedef struct {
	const char *config; /* gateway.conf */
	const char *users;
	const char *api_keys;
} MsConfigStagePaths;

gboolean
ms_config_stage(const MsConfigStagePaths *paths, const char *state_dir, GError **error);
char *
ms_config_stage_get_error(const char *state_dir);
char *
ms_config_stage_get_serial(const char *state_dir);
void
ms_config_stage_set_loaded(const char *state_dir, const char *serial);
gboolean
ms_config_stage_wait_loaded(const char *state_dir, const char *serial, guint timeout_ms);
void
ms_config_stage_log_refused(const GError *error);
void
ms_config_stage_report(const char *state_dir, MsGateway *gateway, const GError *load_error);

G_END_DECLS

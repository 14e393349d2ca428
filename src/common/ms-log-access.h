/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* one request's access entry; the services' and the gateway's alike */
typedef struct {
	const char *request_id; /* (nullable) */
	const char *method;
	const char *path;
	guint status;
	guint64 duration_us;
	const char *note;        /* (nullable): after the duration, e.g. " (client went away)" */
	const char *route;       /* (nullable): the gateway's */
	const char *upstream;    /* (nullable): the gateway's */
	const char *remote_addr; /* (nullable): the gateway's */
	const char *user;        /* (nullable) */
} MsAccessEntry;

void
ms_log_access_full(const MsAccessEntry *entry,
		   const char *domain,
		   const char *file,
		   const char *line,
		   const char *func);

/* logs @entry at INFO with the caller's CODE_* and GLIB_DOMAIN, as ms_log_fields() does */
#define ms_log_access(entry) \
	ms_log_access_full((entry), G_LOG_DOMAIN, __FILE__, G_STRINGIFY(__LINE__), G_STRFUNC)

G_END_DECLS

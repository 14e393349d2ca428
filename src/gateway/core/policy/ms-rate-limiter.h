/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MsRateLimiter MsRateLimiter;

/* default hard cap on distinct clients one limiter remembers */
#define MS_RATE_LIMITER_DEFAULT_MAX_ENTRIES 65536

MsRateLimiter *
ms_rate_limiter_new(double rate_per_s, double burst, guint max_entries);
void
ms_rate_limiter_free(MsRateLimiter *self);
gboolean
ms_rate_limiter_consume(MsRateLimiter *self, const char *key, gint64 now_us, guint *retry_after_s);
gboolean
ms_rate_limiter_check(MsRateLimiter *self, const char *key, gint64 now_us, guint *retry_after_s);
guint
ms_rate_limiter_get_size(MsRateLimiter *self);
void
ms_rate_limiter_expire(MsRateLimiter *self, gint64 now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsRateLimiter, ms_rate_limiter_free)

G_END_DECLS

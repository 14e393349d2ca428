/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "core/ports/ms-greeter.h"

G_BEGIN_DECLS

#define MS_GREETING_SERVICE_DEFAULT_PART_TIMEOUT_MS 2000

/* one part of a greeting: what one greeter said, or why it said nothing */
typedef struct {
	char *name;    /* the greeter's name, e.g. "hello" */
	char *message; /* (nullable): what it said */
	GError *error; /* (nullable): set exactly when @message is %NULL */
} MsGreetingPart;

typedef struct {
	char *message;     /* (nullable): the answered parts joined by spaces; %NULL if none */
	gboolean complete; /* every part answered */
	GPtrArray *parts;  /* (element-type MsGreetingPart): in the service's order */
} MsGreetingResult;

void
ms_greeting_result_free(MsGreetingResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsGreetingResult, ms_greeting_result_free)

#define MS_TYPE_GREETING_SERVICE (ms_greeting_service_get_type())
G_DECLARE_FINAL_TYPE(MsGreetingService, ms_greeting_service, MS, GREETING_SERVICE, GObject)

MsGreetingService *
ms_greeting_service_new(MsGreeter *hello, MsGreeter *world);
void
ms_greeting_service_set_part_timeout(MsGreetingService *self, guint timeout_ms);
guint
ms_greeting_service_get_part_timeout(MsGreetingService *self);
void
ms_greeting_service_greet_async(MsGreetingService *self,
				const char *name,
				const char *language,
				const char *request_id,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data);
MsGreetingResult *
ms_greeting_service_greet_finish(MsGreetingService *self, GAsyncResult *result, GError **error);

G_END_DECLS

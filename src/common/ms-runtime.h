#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_TYPE_RUNTIME (ms_runtime_get_type())
G_DECLARE_FINAL_TYPE(MsRuntime, ms_runtime, MS, RUNTIME, GObject)

#define MS_RUNTIME_DEFAULT_IDLE_TIMEOUT 30

MsRuntime *
ms_runtime_new(const char *name);
SoupServer *
ms_runtime_get_server(MsRuntime *self);
gboolean
ms_runtime_parse_args(MsRuntime *self,
		      int *argc,
		      char ***argv,
		      const char *summary,
		      const GOptionEntry *extra_entries,
		      GError **error);
guint
ms_runtime_get_idle_timeout(MsRuntime *self);
const char *const *
ms_runtime_get_listen_specs(MsRuntime *self);
gboolean
ms_runtime_run(MsRuntime *self, GError **error);

G_END_DECLS

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSocket *
ms_calc_spawn_listen_unix(const char *path);
GSubprocess *
ms_calc_spawn_activated(const char *binary,
			GSocket *listener,
			const char *const *args,
			const char *const *env);
int
ms_calc_spawn_wait(GSubprocess *process);

G_END_DECLS

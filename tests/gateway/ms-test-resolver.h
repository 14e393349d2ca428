/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A GResolver whose answers a test scripts, made the default resolver while it
 * lives: per name, a list of addresses, a failure, or no answer at all (a DNS
 * that hangs). Lookups answer from the main loop of the thread that asked, as
 * GLib's own resolver does.
 */

#define MS_TYPE_TEST_RESOLVER (ms_test_resolver_get_type())
G_DECLARE_FINAL_TYPE(MsTestResolver, ms_test_resolver, MS, TEST_RESOLVER, GResolver)

MsTestResolver *
ms_test_resolver_new(void);
void
ms_test_resolver_set(MsTestResolver *self, const char *name, const char *const *addresses);
void
ms_test_resolver_hang(MsTestResolver *self, const char *name);
guint
ms_test_resolver_get_lookups(MsTestResolver *self, const char *name);
void
ms_test_resolver_release(MsTestResolver *self);

G_END_DECLS

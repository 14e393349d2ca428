/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "adapters/ms-sqlite-history-store.h"
#include "ms-fake-history-store.h"
#include "ms-history-store-contract.h"
#include "ms-test-utils.h"

/*
 * The history store port's contract against both implementations: the fake the
 * service and handler tests use, and the SQLite adapter on a real file. A rule
 * only one of them keeps would make those tests pass against a store that is
 * not the one in production.
 */

static MsHistoryStore *
fake_new(const char *dir)
{
	return ms_fake_history_store_new();
}

static MsHistoryStore *
sqlite_new(const char *dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(dir, "calculator.db", NULL);
	MsHistoryStore *store = ms_sqlite_history_store_new(path, 100, &error);

	g_assert_no_error(error);
	return store;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	ms_history_store_contract_add_tests("fake", fake_new);
	ms_history_store_contract_add_tests("sqlite", sqlite_new);
	return g_test_run();
}

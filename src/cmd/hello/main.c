/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "cmd/common/ms-greeter-main.h"
#include "core/services/ms-phrase-greeter.h"

int
main(int argc, char **argv)
{
	return ms_greeter_main(argc,
			       argv,
			       ms_hello_service_new(),
			       "Answers GET /hello[?name=N] with a greeting.");
}

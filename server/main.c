/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mira-cli.h"

int
main (int    argc,
      char **argv)
{
  return mira_cli_main (argc, argv);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "mira-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MiraApplication) app = NULL;

  /* Before any string is translated, --help's included */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = mira_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}

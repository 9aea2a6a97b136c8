/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-calendar-page.h"
#include "mira-conversations-page.h"
#include "mira-live-page.h"
#include "mira-network-page.h"
#include "mira-people-page.h"
#include "mira-record-button.h"
#include "mira-reminders-page.h"
#include "mira-welcome-page.h"
#include "mira-window.h"

G_BEGIN_DECLS

struct _MiraWindow
{
  AdwApplicationWindow  parent_instance;

  /* Owned */
  MiraContext          *context;
  GSettings            *settings;
  GSignalGroup         *connection_signals;
  GSignalGroup         *capture_signals;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  MiraWelcomePage      *welcome_page;
  GtkWidget            *main_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GtkMenuButton        *primary_menu_button;
  GtkRevealer          *connection_revealer;
  GtkLabel             *connection_label;
  GtkSpinner           *connection_spinner;
  MiraLivePage         *live_page;
  MiraNetworkPage      *network_page;
  MiraConversationsPage *conversations_page;
  MiraRemindersPage    *reminders_page;
  MiraCalendarPage     *calendar_page;
  MiraPeoplePage       *people_page;
  MiraRecordButton     *record_button;

  guint                 titles_source;

  /* "Port 8080 is in use" is said once a hosting */
  guint                 port_reported : 1;
  /* The page switcher has the short titles */
  guint                 short_titles : 1;
};

void _mira_window_class_actions_init (MiraWindowClass *klass);
void _mira_window_actions_update     (MiraWindow      *self);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-live-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "mira-client-row.h"
#include "mira-connection.h"
#include "mira-live-panels.h"
#include "mira-live-page.h"
#include "mira-score-graph.h"
#include "mira-transcript-row.h"

/* Within this many pixels of the end, the transcript counts as scrolled
 * to the bottom and keeps following new words
 */
#define BOTTOM_SLACK_PX 8

struct _MiraLivePage
{
  GtkWidget       parent_instance;

  MiraContext    *context;
  MiraConnection *connection;
  GSignalGroup   *connection_signals;
  GSignalGroup   *clients_signals;
  GSignalGroup   *interactions_signals;

  /* The transcript follows new words until the user scrolls up */
  gboolean        follow_transcript;
  double          last_value;
  double          last_upper;
  guint           follow_id;

  GtkStack       *stack;
  AdwStatusPage  *connecting_page;
  GtkSpinner     *connecting_spinner;
  GtkWidget      *panels;
  GtkListView    *clients_view;
  MiraScoreGraph *graph;
  GtkStack       *transcript_stack;
  GtkScrolledWindow *transcript_scroller;
  GtkListView    *transcript_view;
  GtkWidget      *add_button;
  GtkWidget      *empty_add_button;
};

G_DEFINE_FINAL_TYPE (MiraLivePage, mira_live_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mira_live_page_update_state (MiraLivePage *self)
{
  MiraConnectionState state = MIRA_CONNECTION_STATE_OFFLINE;
  const GError *error = NULL;
  guint n_clients = 0;
  const char *page;

  if (self->connection != NULL)
    {
      state = mira_connection_get_state (self->connection);
      error = mira_connection_get_last_error (self->connection);
      n_clients = g_list_model_get_n_items (mira_connection_get_clients (self->connection));
    }

  if (self->connection == NULL || state == MIRA_CONNECTION_STATE_OFFLINE)
    page = self->context != NULL && mira_context_get_busy (self->context) ? "connecting" : "disconnected";
  else if (n_clients == 0)
    page = state == MIRA_CONNECTION_STATE_ONLINE ? "empty" : "connecting";
  else
    /* Reconnecting, stale is better than nothing: the window says that
     * it is not live
     */
    page = "live";

  gtk_stack_set_visible_child_name (self->stack, page);

  adw_status_page_set_description (self->connecting_page, error != NULL ? error->message : NULL);
  gtk_spinner_set_spinning (self->connecting_spinner, g_str_equal (page, "connecting"));
}

static void
scroll_transcript_to_end (MiraLivePage *self)
{
  GtkAdjustment *vadj = gtk_scrolled_window_get_vadjustment (self->transcript_scroller);
  double end = gtk_adjustment_get_upper (vadj) - gtk_adjustment_get_page_size (vadj);

  if (gtk_adjustment_get_value (vadj) < end)
    gtk_adjustment_set_value (vadj, end);
}

static gboolean
follow_transcript_cb (gpointer user_data)
{
  MiraLivePage *self = user_data;

  self->follow_id = 0;
  if (self->follow_transcript)
    scroll_transcript_to_end (self);

  return G_SOURCE_REMOVE;
}

/* The list view takes a new position only outside its own allocation:
 * scroll after it, before the next frame is drawn
 */
static void
queue_follow_transcript (MiraLivePage *self)
{
  if (self->follow_id == 0)
    self->follow_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, follow_transcript_cb, self, NULL);
}

static void
transcript_value_changed_cb (MiraLivePage  *self,
                             GtkAdjustment *vadj)
{
  double value = gtk_adjustment_get_value (vadj);
  double upper = gtk_adjustment_get_upper (vadj);
  double end = upper - gtk_adjustment_get_page_size (vadj);

  /* New rows only move the view down, and a list that finds its rows
   * smaller than it guessed clamps the view as its height shrinks; a move
   * up over a list of the same height is the user's
   */
  if (value >= end - BOTTOM_SLACK_PX)
    self->follow_transcript = TRUE;
  else if (value < self->last_value && upper == self->last_upper)
    self->follow_transcript = FALSE;

  self->last_value = value;
  self->last_upper = upper;
}

static void
transcript_adjustment_changed_cb (MiraLivePage  *self,
                                  GtkAdjustment *vadj)
{
  /* The list grew, or learnt the real height of a row it had estimated */
  if (self->follow_transcript)
    queue_follow_transcript (self);

  self->last_upper = gtk_adjustment_get_upper (vadj);
}

static void
interactions_changed_cb (MiraLivePage *self,
                         guint         position,
                         guint         removed,
                         guint         added,
                         GListModel   *model)
{
  guint n_items = g_list_model_get_n_items (model);

  gtk_stack_set_visible_child_name (self->transcript_stack, n_items > 0 ? "transcript" : "empty");

  if (added > 0 && self->follow_transcript)
    queue_follow_transcript (self);
}

static void
mira_live_page_set_connection (MiraLivePage   *self,
                               MiraConnection *connection)
{
  g_autoptr(GtkSelectionModel) clients = NULL;
  g_autoptr(GtkSelectionModel) interactions = NULL;

  if (self->connection == connection)
    return;

  g_set_object (&self->connection, connection);
  g_signal_group_set_target (self->connection_signals, connection);

  if (connection != NULL)
    {
      GListModel *interactions_model = mira_connection_get_interactions (connection);

      clients = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (mira_connection_get_clients (connection))));
      interactions = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (interactions_model)));
      g_signal_group_set_target (self->clients_signals, mira_connection_get_clients (connection));
      g_signal_group_set_target (self->interactions_signals, interactions_model);
      mira_score_graph_set_model (self->graph, mira_connection_get_clients (connection));
    }
  else
    {
      g_signal_group_set_target (self->clients_signals, NULL);
      g_signal_group_set_target (self->interactions_signals, NULL);
      mira_score_graph_set_model (self->graph, NULL);
    }

  gtk_list_view_set_model (self->clients_view, clients);
  gtk_list_view_set_model (self->transcript_view, interactions);

  self->follow_transcript = TRUE;
  self->last_value = 0;
  self->last_upper = 0;
  gtk_stack_set_visible_child_name (self->transcript_stack,
                                    interactions != NULL &&
                                    g_list_model_get_n_items (G_LIST_MODEL (interactions)) > 0 ? "transcript" : "empty");
  mira_live_page_update_state (self);
}

/* Only the hosting computer adds devices: a joined one shows no button
 * that could only ever be greyed out
 */
static void
context_mode_changed_cb (MiraLivePage *self)
{
  gboolean host = self->context != NULL && mira_context_get_mode (self->context) == MIRA_MODE_HOST;

  gtk_widget_set_visible (self->add_button, host);
  gtk_widget_set_visible (self->empty_add_button, host);
}

static void
context_connection_changed_cb (MiraLivePage *self)
{
  mira_live_page_set_connection (self, self->context != NULL ? mira_context_get_connection (self->context) : NULL);
}

static void
mira_live_page_dispose (GObject *object)
{
  MiraLivePage *self = MIRA_LIVE_PAGE (object);

  mira_live_page_set_context (self, NULL);
  g_clear_handle_id (&self->follow_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), MIRA_TYPE_LIVE_PAGE);

  G_OBJECT_CLASS (mira_live_page_parent_class)->dispose (object);
}

static void
mira_live_page_finalize (GObject *object)
{
  MiraLivePage *self = MIRA_LIVE_PAGE (object);

  g_clear_object (&self->connection_signals);
  g_clear_object (&self->clients_signals);
  g_clear_object (&self->interactions_signals);

  G_OBJECT_CLASS (mira_live_page_parent_class)->finalize (object);
}

static void
mira_live_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MiraLivePage *self = MIRA_LIVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_live_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MiraLivePage *self = MIRA_LIVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      mira_live_page_set_context (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_live_page_class_init (MiraLivePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_live_page_dispose;
  object_class->finalize = mira_live_page_finalize;
  object_class->get_property = mira_live_page_get_property;
  object_class->set_property = mira_live_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         MIRA_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The types the template and its row factories name */
  g_type_ensure (MIRA_TYPE_CLIENT_ROW);
  g_type_ensure (MIRA_TYPE_LIVE_PANELS);
  g_type_ensure (MIRA_TYPE_SCORE_GRAPH);
  g_type_ensure (MIRA_TYPE_TRANSCRIPT_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/mira/Dashboard/mira-live-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, stack);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, add_button);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, empty_add_button);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, connecting_page);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, connecting_spinner);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, panels);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, clients_view);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, graph);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, transcript_stack);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, transcript_scroller);
  gtk_widget_class_bind_template_child (widget_class, MiraLivePage, transcript_view);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "livepage");
}

static void
mira_live_page_init (MiraLivePage *self)
{
  GtkAdjustment *vadj;

  self->follow_transcript = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->connection_signals = g_signal_group_new (MIRA_TYPE_CONNECTION);
  g_signal_group_connect_swapped (self->connection_signals, "notify::state",
                                  G_CALLBACK (mira_live_page_update_state), self);
  g_signal_group_connect_swapped (self->connection_signals, "notify::last-error",
                                  G_CALLBACK (mira_live_page_update_state), self);

  self->clients_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->clients_signals, "items-changed",
                                  G_CALLBACK (mira_live_page_update_state), self);

  self->interactions_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->interactions_signals, "items-changed",
                                  G_CALLBACK (interactions_changed_cb), self);

  vadj = gtk_scrolled_window_get_vadjustment (self->transcript_scroller);
  g_signal_connect_object (vadj, "value-changed", G_CALLBACK (transcript_value_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (vadj, "changed", G_CALLBACK (transcript_adjustment_changed_cb),
                           self, G_CONNECT_SWAPPED);

  mira_live_page_update_state (self);
}

GtkWidget *
mira_live_page_new (MiraContext *context)
{
  g_return_val_if_fail (context == NULL || MIRA_IS_CONTEXT (context), NULL);

  return g_object_new (MIRA_TYPE_LIVE_PAGE,
                       "context", context,
                       NULL);
}

MiraContext *
mira_live_page_get_context (MiraLivePage *self)
{
  g_return_val_if_fail (MIRA_IS_LIVE_PAGE (self), NULL);

  return self->context;
}

void
mira_live_page_set_context (MiraLivePage *self,
                            MiraContext  *context)
{
  g_return_if_fail (MIRA_IS_LIVE_PAGE (self));
  g_return_if_fail (context == NULL || MIRA_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);

  g_set_object (&self->context, context);

  if (self->context != NULL)
    {
      g_signal_connect_swapped (self->context, "notify::connection",
                                G_CALLBACK (context_connection_changed_cb), self);
      g_signal_connect_swapped (self->context, "notify::busy",
                                G_CALLBACK (mira_live_page_update_state), self);
      g_signal_connect_swapped (self->context, "notify::mode",
                                G_CALLBACK (context_mode_changed_cb), self);
    }

  context_mode_changed_cb (self);
  context_connection_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-test-gui"

#include "mira-test-gui.h"

void
mira_test_gui_init (void)
{
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
mira_test_gui_wait (MiraTestGuiCondition condition,
                    gpointer             user_data,
                    guint                timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout_id;

  timeout_id = g_timeout_add (timeout_ms, on_timeout, &timed_out);
  while (!condition (user_data))
    {
      if (timed_out)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (timeout_id);

  return TRUE;
}

static gboolean
on_frames_done (gpointer user_data)
{
  guint *frames = user_data;

  return *frames >= 2;
}

static void
on_after_paint (GdkFrameClock *clock,
                guint         *frames)
{
  (*frames)++;
}

/* Dispatches what is ready, boundedly: a ticking animation would never let
 * the context run dry.
 */
static void
dispatch_pending (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

void
mira_test_gui_settle (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr(GPtrArray) clocks = g_ptr_array_new_with_free_func (g_object_unref);
  guint frames = 0;

  dispatch_pending ();

  /* Two frames of the first visible window: layout, then drawing */
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);
      GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

      if (clock == NULL || !gtk_widget_get_mapped (window))
        continue;

      g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &frames);
      g_ptr_array_add (clocks, g_object_ref (clock));
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_LAYOUT);
      gtk_widget_queue_draw (window);
      break;
    }

  if (clocks->len > 0)
    {
      mira_test_gui_wait (on_frames_done, &frames, 2000);
      g_signal_handlers_disconnect_by_func (clocks->pdata[0], on_after_paint, &frames);
    }

  dispatch_pending ();
}

typedef struct {
  GtkWidget *widget;
  int        width;
  int        height;
} ResizeData;

static gboolean
has_size (gpointer user_data)
{
  ResizeData *data = user_data;

  return gtk_widget_get_width (data->widget) == data->width &&
         gtk_widget_get_height (data->widget) == data->height;
}

gboolean
mira_test_gui_resize (GtkWindow *window,
                      int        width,
                      int        height)
{
  /* The default size counts the decorations' margins, which depend on the
   * display: learnt from the first window that misses, then added. A
   * window that only resizes late on a loaded machine must not be taken
   * for one that missed: it is given seconds, and measured once settled.
   */
  static int extra_width, extra_height;
  ResizeData data = { GTK_WIDGET (window), width, height };
  gboolean resized;

  gtk_window_set_default_size (window, width + extra_width, height + extra_height);
  gtk_window_present (window);
  resized = mira_test_gui_wait (has_size, &data, 5000);
  if (!resized)
    {
      mira_test_gui_settle ();
      resized = has_size (&data);
    }

  if (!resized && gtk_widget_get_width (data.widget) > 0)
    {
      extra_width += width - gtk_widget_get_width (data.widget);
      extra_height += height - gtk_widget_get_height (data.widget);
      gtk_window_set_default_size (window, width + extra_width, height + extra_height);
      resized = mira_test_gui_wait (has_size, &data, 5000);
    }

  mira_test_gui_settle ();

  return resized;
}

typedef gboolean (*Match) (GtkWidget  *widget,
                           const void *data);

static GtkWidget *
find (GtkWidget  *root,
      Match       match,
      const void *data)
{
  if (!gtk_widget_is_drawable (root))
    return NULL;

  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
match_label (GtkWidget  *widget,
             const void *text)
{
  return GTK_IS_LABEL (widget) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
match_entry_row (GtkWidget  *widget,
                 const void *title)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
match_type (GtkWidget  *widget,
            const void *type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, *(const GType *) type);
}

GtkWidget *
mira_test_gui_find_label (GtkWidget  *root,
                          const char *text)
{
  return find (root, match_label, text);
}

GtkWidget *
mira_test_gui_find_button (GtkWidget  *root,
                           const char *text)
{
  GtkWidget *label = mira_test_gui_find_label (root, text);

  return label != NULL ? gtk_widget_get_ancestor (label, GTK_TYPE_BUTTON) : NULL;
}

GtkWidget *
mira_test_gui_find_entry_row (GtkWidget  *root,
                              const char *title)
{
  return find (root, match_entry_row, title);
}

GtkWidget *
mira_test_gui_find_type (GtkWidget *root,
                         GType      type)
{
  return find (root, match_type, &type);
}

guint
mira_test_gui_count_type (GtkWidget *root,
                          GType      type)
{
  guint n = G_TYPE_CHECK_INSTANCE_TYPE (root, type) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += mira_test_gui_count_type (child, type);
  return n;
}

GtkWindow *
mira_test_gui_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

gboolean
mira_test_gui_save_png (GtkWidget   *widget,
                        const char  *path,
                        GError     **error)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;

  if (width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s has no size to render", G_OBJECT_TYPE_NAME (widget));
      return FALSE;
    }

  /* The paintable shows what the widget drew in its last frame: nothing
   * while a new size or style waits for its frame, which a loaded machine
   * may draw late
   */
  for (guint attempt = 0; node == NULL && attempt < 5; attempt++)
    {
      if (attempt > 0)
        mira_test_gui_settle ();
      g_clear_object (&paintable);
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s drew nothing", G_OBJECT_TYPE_NAME (widget));
      return FALSE;
    }

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not write %s", path);
      return FALSE;
    }

  return TRUE;
}

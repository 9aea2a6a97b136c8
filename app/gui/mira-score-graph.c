/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-score-graph"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "mira-score-graph.h"

/* A line is broken where two scores are further apart than this: the
 * stream stopped in between.
 */
#define GAP_US (2 * G_USEC_PER_SEC)
/* The accessible description follows the scores at most this often, so a
 * screen reader is not flooded at the 2–5 updates per second the server
 * sends.
 */
#define DESCRIPTION_INTERVAL_MS 1000
#define TIME_STEP_S 15
/* The lines crawl by a device pixel every span/width: 13 times a second on
 * an 800 px plot. Moving whole pixels at a time, at most 25 times a second,
 * still looks smooth and spares a software renderer most frames.
 */
#define MIN_FRAME_US (G_USEC_PER_SEC / 25)
/* How far, in pixels, a line's drawing reaches beyond its points: the
 * newest score's dot (4.5), a thick line's half width and round cap (1.5),
 * and antialiasing
 */
#define REACH_PX 7

struct _MiraScoreGraph
{
  GtkWidget        parent_instance;

  GListModel      *model;
  /* The items of the model whose signals we hold, in model order */
  GPtrArray       *items;

  /* While a line is in the window, a timeout draws the graph again each
   * time the lines have moved by a whole step of device pixels. A timeout
   * rather than a tick callback: a tick runs the frame clock at every
   * frame of the display, 60 times a second, even when it draws nothing.
   */
  guint            step_id;
  /* The time one device pixel of the plot stands for, in µs, as last drawn */
  double           pixel_us;

  guint            description_id;

  /* The axes' labels, shaped once: text → PangoLayout. Dropped when the
   * font, the direction or the display changes.
   */
  GHashTable      *axis_layouts;

  /* The lines as drawn for the time lines_time_us, for a plot of
   * lines_width × lines_height device pixels. The times drawn are whole
   * multiples of pixel_us, so that the lines only ever move by whole
   * pixels. Between scores each frame shows this picture moved left; a
   * new score draws only the new part onto the picture moved (lines_new);
   * a new stream, selected stream, size or style draws it all again
   * (lines_stale).
   */
  cairo_surface_t *lines;
  /* The same picture for renderers that draw textures (made when needed) */
  GdkTexture      *lines_texture;
  double           lines_time_us;
  /* The newest score in the picture */
  gint64           lines_newest_us;
  int              lines_width;
  int              lines_height;
  int              lines_scale;
  gboolean         lines_dark;
  gboolean         lines_stale;
  gboolean         lines_new;
};

G_DEFINE_FINAL_TYPE (MiraScoreGraph, mira_score_graph, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The GNOME palette, light and dark variants; a line and its legend share
 * the colour of the client's position.
 */
static const char * const stream_colors[][2] = {
  { "#1c71d8", "#62a0ea" },  /* blue */
  { "#e66100", "#ffa348" },  /* orange */
  { "#26a269", "#57e389" },  /* green */
  { "#9141ac", "#dc8add" },  /* purple */
  { "#c01c28", "#f66151" },  /* red */
  { "#986a44", "#cdab8f" },  /* brown */
  { "#c88800", "#f8e45c" },  /* yellow */
  { "#5e5c64", "#c0bfbc" },  /* grey */
};

void
mira_score_graph_stream_color (guint     position,
                               gboolean  dark,
                               GdkRGBA  *rgba)
{
  g_return_if_fail (rgba != NULL);

  gdk_rgba_parse (rgba, stream_colors[position % G_N_ELEMENTS (stream_colors)][dark ? 1 : 0]);
}

static gboolean
is_dark (void)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ());
}

static gint64
newest_time (MiraScoreGraph *self)
{
  gint64 newest = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      guint n_points = 0;
      const MiraScorePoint *points = mira_client_item_get_history (g_ptr_array_index (self->items, i),
                                                                   &n_points);

      if (n_points > 0)
        newest = MAX (newest, points[n_points - 1].time_us);
    }

  return newest;
}

static gboolean step_cb (gpointer user_data);

/* Asks for the next frame when the lines will have moved by the next whole
 * step: a multiple of the device pixel's time, at most 25 a second
 */
static void
schedule_step (MiraScoreGraph *self)
{
  double pixel_us = self->pixel_us > 0 ? self->pixel_us : MIRA_SCORE_GRAPH_SPAN_US / 480.0;
  double step_us = pixel_us * MAX (1, ceil (MIN_FRAME_US / pixel_us));
  gint64 now = g_get_real_time ();
  double next_us = (floor (now / step_us) + 1) * step_us;

  /* A millisecond late rather than early, so that the step has come */
  self->step_id = g_timeout_add ((guint) ((next_us - now) / 1000) + 1, step_cb, self);
}

static gboolean
step_cb (gpointer user_data)
{
  MiraScoreGraph *self = user_data;

  self->step_id = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));

  /* Every point has left the window: it is drawn empty once, and stands */
  if (newest_time (self) >= g_get_real_time () - MIRA_SCORE_GRAPH_SPAN_US)
    schedule_step (self);

  return G_SOURCE_REMOVE;
}

static void
mira_score_graph_update_stepping (MiraScoreGraph *self)
{
  gboolean has_data;

  has_data = gtk_widget_get_mapped (GTK_WIDGET (self)) &&
             newest_time (self) >= g_get_real_time () - MIRA_SCORE_GRAPH_SPAN_US;

  if (has_data && self->step_id == 0)
    schedule_step (self);
  else if (!has_data)
    g_clear_handle_id (&self->step_id, g_source_remove);
}

static gboolean
update_description_cb (gpointer user_data)
{
  MiraScoreGraph *self = user_data;
  g_autoptr(GString) text = g_string_new (NULL);

  self->description_id = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      MiraClientItem *item = g_ptr_array_index (self->items, i);
      double score = mira_client_item_get_quality_score (item);

      if (text->len > 0)
        g_string_append (text, "; ");

      if (score < 0)
        /* Translators: a client without a live stream, in the graph's description */
        g_string_append_printf (text, _("%s: no stream"), mira_client_item_get_display_name (item));
      else if (mira_client_item_get_is_best (item))
        /* Translators: a client's score 0–100, in the graph's description */
        g_string_append_printf (text, _("%s: %d, selected stream"),
                                mira_client_item_get_display_name (item), (int) round (score * 100));
      else
        g_string_append_printf (text, _("%s: %d"),
                                mira_client_item_get_display_name (item), (int) round (score * 100));
    }

  if (text->len == 0)
    g_string_append (text, _("No streams"));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text->str,
                                  -1);

  return G_SOURCE_REMOVE;
}

static void
queue_description (MiraScoreGraph *self)
{
  if (self->description_id == 0)
    self->description_id = g_timeout_add (DESCRIPTION_INTERVAL_MS, update_description_cb, self);
}

static void
forget_lines (MiraScoreGraph *self)
{
  self->lines_stale = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
item_history_changed_cb (MiraScoreGraph *self)
{
  self->lines_new = TRUE;

  /* While the lines move, the next step (within a pixel's time) shows the
   * new point too: every stream's scores come at 2–5 a second, and drawing
   * for each of them as well would double the frames
   */
  if (self->step_id != 0)
    return;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  mira_score_graph_update_stepping (self);
}

static void
item_notify_cb (MiraScoreGraph *self)
{
  forget_lines (self);
  queue_description (self);
}

static void
unwatch_items (MiraScoreGraph *self)
{
  for (guint i = 0; i < self->items->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->items, i), self);
  g_ptr_array_set_size (self->items, 0);
}

static void
model_items_changed_cb (MiraScoreGraph *self)
{
  guint n_items = g_list_model_get_n_items (self->model);

  /* Networks have a handful of clients: watching them afresh is simpler
   * than patching, and keeps the order, hence the colours, of the model.
   */
  unwatch_items (self);
  self->lines_stale = TRUE;
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(MiraClientItem) item = g_list_model_get_item (self->model, i);

      g_signal_connect_swapped (item, "history-changed", G_CALLBACK (item_history_changed_cb), self);
      g_signal_connect_swapped (item, "notify::is-best", G_CALLBACK (item_notify_cb), self);
      g_signal_connect_swapped (item, "notify::quality-score", G_CALLBACK (queue_description), self);
      g_signal_connect_swapped (item, "notify::display-name", G_CALLBACK (queue_description), self);
      g_ptr_array_add (self->items, g_steal_pointer (&item));
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
  mira_score_graph_update_stepping (self);
  queue_description (self);
}

/* A label of the axes (borrowed). The graph redraws as its lines move, up
 * to 25 times a second: shaping its nine labels anew every frame was most
 * of a frame's text work.
 */
static PangoLayout *
get_axis_layout (MiraScoreGraph *self,
                 const char     *text)
{
  PangoLayout *layout = g_hash_table_lookup (self->axis_layouts, text);
  g_autoptr(PangoAttrList) attrs = NULL;

  if (layout != NULL)
    return layout;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_scale_new (0.8));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
  pango_layout_set_attributes (layout, attrs);
  g_hash_table_insert (self->axis_layouts, g_strdup (text), layout);

  return layout;
}

static void
forget_axis_layouts (MiraScoreGraph *self)
{
  g_hash_table_remove_all (self->axis_layouts);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
append_text (GtkSnapshot   *snapshot,
             PangoLayout   *layout,
             double         x,
             double         y,
             const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* Where a point of the time @time_us falls on a plot @width wide drawn for
 * the time @now_us
 */
static double
time_x (gint64 time_us,
        double now_us,
        double width)
{
  return width - (now_us - time_us) / MIRA_SCORE_GRAPH_SPAN_US * width;
}

static void
trace_history (cairo_t              *cr,
               const MiraScorePoint *points,
               guint                 n_points,
               double                now_us,
               double                width,
               double                height,
               gboolean              close_area)
{
  guint start = 0;

  /* One subpath per unbroken run of points */
  while (start < n_points)
    {
      guint end = start + 1;

      while (end < n_points && points[end].time_us - points[end - 1].time_us <= GAP_US)
        end++;

      for (guint i = start; i < end; i++)
        {
          double x = time_x (points[i].time_us, now_us, width);
          double y = height * (1.0 - CLAMP (points[i].score, 0.0, 1.0));

          if (i == start)
            {
              if (close_area)
                cairo_move_to (cr, x, height);
              else
                cairo_move_to (cr, x, y);
            }
          cairo_line_to (cr, x, y);
        }

      if (close_area)
        {
          cairo_line_to (cr, time_x (points[end - 1].time_us, now_us, width), height);
          cairo_close_path (cr);
        }

      start = end;
    }
}

/* Draws @item's line as of @now_us where it reaches right of @from_x (in
 * the plot's coordinates): the points before the last one that lies
 * further left than anything drawn from it reaches are left out
 */
static void
draw_stream (cairo_t        *cr,
             MiraClientItem *item,
             const GdkRGBA  *color,
             double          now_us,
             double          width,
             double          height,
             double          from_x)
{
  gboolean best = mira_client_item_get_is_best (item);
  guint n_points = 0;
  const MiraScorePoint *points = mira_client_item_get_history (item, &n_points);
  const MiraScorePoint *last;
  guint start = 0;
  double x, y;

  if (n_points == 0 || points[n_points - 1].time_us < now_us - MIRA_SCORE_GRAPH_SPAN_US)
    return;

  for (guint i = n_points; i > 0; i--)
    if (time_x (points[i - 1].time_us, now_us, width) < from_x - REACH_PX)
      {
        start = i - 1;
        break;
      }
  points += start;
  n_points -= start;

  if (best)
    {
      cairo_pattern_t *fill = cairo_pattern_create_linear (0, 0, 0, height);

      cairo_pattern_add_color_stop_rgba (fill, 0, color->red, color->green, color->blue, 0.30);
      cairo_pattern_add_color_stop_rgba (fill, 1, color->red, color->green, color->blue, 0.02);
      trace_history (cr, points, n_points, now_us, width, height, TRUE);
      cairo_set_source (cr, fill);
      cairo_fill (cr);
      cairo_pattern_destroy (fill);
    }

  trace_history (cr, points, n_points, now_us, width, height, FALSE);
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, best ? 1.0 : 0.75);
  cairo_set_line_width (cr, best ? 3.0 : 1.5);
  /* Round joins cost a fan of triangles at every point of every line, and
   * stroking was most of a frame in software; on a 1.5 px line a bevel
   * looks the same
   */
  cairo_set_line_join (cr, best ? CAIRO_LINE_JOIN_ROUND : CAIRO_LINE_JOIN_BEVEL);
  cairo_stroke (cr);

  /* The newest score, as a dot at the head of the line */
  last = &points[n_points - 1];
  x = time_x (last->time_us, now_us, width);
  y = height * (1.0 - CLAMP (last->score, 0.0, 1.0));
  cairo_arc (cr, x, y, best ? 4.5 : 3.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
draw_lines (MiraScoreGraph *self,
            cairo_t        *cr,
            double          now_us,
            double          width,
            double          height,
            gboolean        dark,
            double          from_x)
{
  /* The selected stream last, so that it is drawn over the others */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < self->items->len; i++)
      {
        MiraClientItem *item = g_ptr_array_index (self->items, i);
        GdkRGBA color;

        if (mira_client_item_get_is_best (item) != (pass == 1))
          continue;

        mira_score_graph_stream_color (i, dark, &color);
        draw_stream (cr, item, &color, now_us, width, height, from_x);
      }
}

/* Where the drawing of the scores that came since the picture was drawn
 * begins, on a plot @width wide drawn for @now_us: a little left of the
 * point before each stream's new ones, where its line and dot ended
 */
static double
new_part_x (MiraScoreGraph *self,
            double          now_us,
            double          width)
{
  double from_x = width;

  for (guint i = 0; i < self->items->len; i++)
    {
      guint n_points = 0;
      const MiraScorePoint *points = mira_client_item_get_history (g_ptr_array_index (self->items, i),
                                                                   &n_points);
      guint first_new = n_points;

      while (first_new > 0 && points[first_new - 1].time_us > self->lines_newest_us)
        first_new--;
      if (first_new == n_points)
        continue;

      from_x = MIN (from_x, time_x (points[first_new > 0 ? first_new - 1 : 0].time_us, now_us, width) -
                              REACH_PX);
    }

  return from_x;
}

/* Brings the picture of the lines to @now_us, a multiple of pixel_us, for
 * a plot of @width × @height device pixels: as it is when nothing changed;
 * moved left with only the new scores drawn when scores came; drawn whole
 * when anything else changed
 */
static void
update_lines (MiraScoreGraph *self,
              double          now_us,
              int             width,
              int             height,
              int             scale,
              gboolean        dark)
{
  gboolean same_plot = self->lines != NULL && self->lines_width == width &&
                       self->lines_height == height && self->lines_scale == scale &&
                       self->lines_dark == dark;
  double plot_width = (double) width / scale;
  double plot_height = (double) height / scale;
  gint64 shift = same_plot ? llround ((now_us - self->lines_time_us) / self->pixel_us) : -1;
  cairo_surface_t *surface;
  cairo_t *cr;

  if (same_plot && !self->lines_stale && !self->lines_new)
    return;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  /* A quarter pixel is finer than the eye sees in a moving line, and fewer
   * segments for the joins and dots than cairo's default tenth
   */
  cairo_set_tolerance (cr, 0.25);

  if (same_plot && !self->lines_stale && shift >= 0 && shift < width)
    {
      /* Whole device pixels, so that the part kept is not resampled; the
       * new part is drawn over a clean strip, as a whole picture would be
       */
      double from_x = MAX (0, floor (new_part_x (self, now_us, plot_width) * scale) / scale);

      cairo_save (cr);
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_set_source_surface (cr, self->lines, -(double) shift / scale, 0);
      cairo_paint (cr);
      cairo_restore (cr);

      cairo_rectangle (cr, from_x, 0, plot_width - from_x, plot_height);
      cairo_clip (cr);
      cairo_save (cr);
      cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
      cairo_paint (cr);
      cairo_restore (cr);
      draw_lines (self, cr, now_us, plot_width, plot_height, dark, from_x);
    }
  else
    draw_lines (self, cr, now_us, plot_width, plot_height, dark, -INFINITY);

  cairo_destroy (cr);
  cairo_surface_flush (surface);

  g_clear_pointer (&self->lines, cairo_surface_destroy);
  g_clear_object (&self->lines_texture);
  self->lines = surface;
  self->lines_time_us = now_us;
  self->lines_newest_us = newest_time (self);
  self->lines_width = width;
  self->lines_height = height;
  self->lines_scale = scale;
  self->lines_dark = dark;
  self->lines_stale = FALSE;
  self->lines_new = FALSE;
}

/* The picture of the lines, at @bounds */
static void
append_lines (MiraScoreGraph        *self,
              GtkSnapshot           *snapshot,
              const graphene_rect_t *bounds)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
  g_autoptr(GBytes) bytes = NULL;

  /* GTK's cairo renderer copies a texture into a new surface at every
   * frame (converting each pixel); painting the picture's surface costs
   * one blend
   */
  if (renderer != NULL && GSK_IS_CAIRO_RENDERER (renderer))
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, bounds);

      cairo_set_source_surface (cr, self->lines, bounds->origin.x, bounds->origin.y);
      cairo_paint (cr);
      cairo_destroy (cr);
      return;
    }

  /* Other renderers upload a texture once */
  if (self->lines_texture == NULL)
    {
      /* CAIRO_FORMAT_ARGB32 is GDK_MEMORY_DEFAULT: premultiplied, native
       * endian. The surface is not drawn on again.
       */
      bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (self->lines),
                                          (gsize) cairo_image_surface_get_stride (self->lines) *
                                            self->lines_height,
                                          (GDestroyNotify) cairo_surface_destroy,
                                          cairo_surface_reference (self->lines));
      self->lines_texture = gdk_memory_texture_new (self->lines_width, self->lines_height,
                                                    GDK_MEMORY_DEFAULT, bytes,
                                                    (gsize) cairo_image_surface_get_stride (self->lines));
    }
  gtk_snapshot_append_texture (snapshot, self->lines_texture, bounds);
}

static void
mira_score_graph_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gboolean dark = is_dark ();
  gint64 now = g_get_real_time ();
  PangoLayout *probe = get_axis_layout (self, "100");
  GdkRGBA fg, grid, label;
  PangoRectangle probe_rect;
  double left, top, plot_width, plot_height;
  gboolean any_line = FALSE;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  grid = fg;
  grid.alpha *= 0.12;
  label = fg;
  label.alpha *= 0.6;

  /* The plot leaves room for the score labels on the left and the time
   * labels below; half a label's height above keeps "100" inside.
   */
  pango_layout_get_pixel_extents (probe, NULL, &probe_rect);
  left = probe_rect.width + 8;
  top = ceil (probe_rect.height / 2.0);
  plot_width = MAX (1, width - left - 4);
  plot_height = MAX (1, height - top - probe_rect.height - 6);

  for (int score = 0; score <= 100; score += 25)
    {
      g_autofree char *text = g_strdup_printf ("%d", score);
      PangoLayout *layout = get_axis_layout (self, text);
      double y = top + round (plot_height * (1.0 - score / 100.0));
      PangoRectangle rect;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (left, y, plot_width, 1));
      pango_layout_get_pixel_extents (layout, NULL, &rect);
      append_text (snapshot, layout, left - 6 - rect.width, y - rect.height / 2.0, &label);
    }

  for (int seconds = 60; seconds >= 0; seconds -= TIME_STEP_S)
    {
      g_autofree char *text = NULL;
      PangoLayout *layout;
      double x = left + round (plot_width * (1.0 - seconds / 60.0));
      PangoRectangle rect;

      if (seconds == 0)
        text = g_strdup (C_("score graph", "now"));
      else
        /* Translators: seconds ago, on the score graph's time axis */
        text = g_strdup_printf (C_("score graph", "−%d s"), seconds);

      layout = get_axis_layout (self, text);
      pango_layout_get_pixel_extents (layout, NULL, &rect);
      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (MIN (x, left + plot_width - 1), top, 1, plot_height));
      append_text (snapshot, layout,
                   CLAMP (x - rect.width / 2.0, left, left + plot_width - rect.width),
                   top + plot_height + 4, &label);
    }

  for (guint i = 0; i < self->items->len; i++)
    {
      guint n_points = 0;

      mira_client_item_get_history (g_ptr_array_index (self->items, i), &n_points);
      any_line |= n_points > 0;
    }

  if (any_line)
    {
      int scale = gtk_widget_get_scale_factor (widget);
      int lines_width = (int) ceil (plot_width * scale);
      double lines_now_us, shift;

      /* The lines are drawn for times on a grid of whole device pixels (the
       * next one from now, so that no score is right of the plot): a
       * picture moves by whole pixels, without resampling, and its new part
       * meets the part kept exactly
       */
      self->pixel_us = (double) MIRA_SCORE_GRAPH_SPAN_US / lines_width;
      lines_now_us = ceil (now / self->pixel_us) * self->pixel_us;
      update_lines (self, lines_now_us, lines_width, (int) ceil (plot_height * scale), scale, dark);
      shift = llround ((lines_now_us - self->lines_time_us) / self->pixel_us) / (double) scale;

      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (left, top, plot_width, plot_height));
      append_lines (self, snapshot,
                    &GRAPHENE_RECT_INIT (left - shift, top,
                                         (float) self->lines_width / scale,
                                         (float) self->lines_height / scale));
      gtk_snapshot_pop (snapshot);
    }

  if (!any_line)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, _("No audio in the last minute"));
      PangoRectangle rect;

      pango_layout_get_pixel_extents (layout, NULL, &rect);
      append_text (snapshot, layout,
                   left + (plot_width - rect.width) / 2.0,
                   top + (plot_height - rect.height) / 2.0, &label);
    }
}

static void
mira_score_graph_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 480;
    }
  else
    {
      *minimum = 120;
      *natural = 180;
    }
}

static void
mira_score_graph_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (mira_score_graph_parent_class)->map (widget);

  mira_score_graph_update_stepping (MIRA_SCORE_GRAPH (widget));
}

static void
mira_score_graph_unmap (GtkWidget *widget)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (widget);

  /* A hidden graph costs no frames */
  g_clear_handle_id (&self->step_id, g_source_remove);

  GTK_WIDGET_CLASS (mira_score_graph_parent_class)->unmap (widget);
}

static void
mira_score_graph_direction_changed (GtkWidget        *widget,
                                    GtkTextDirection  previous_direction)
{
  forget_axis_layouts (MIRA_SCORE_GRAPH (widget));
  GTK_WIDGET_CLASS (mira_score_graph_parent_class)->direction_changed (widget, previous_direction);
}

static void
mira_score_graph_system_setting_changed (GtkWidget         *widget,
                                         GtkSystemSetting   setting)
{
  /* Fonts, their rendering, or the display */
  forget_axis_layouts (MIRA_SCORE_GRAPH (widget));
  GTK_WIDGET_CLASS (mira_score_graph_parent_class)->system_setting_changed (widget, setting);
}

static void
mira_score_graph_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (mira_score_graph_parent_class)->root (widget);
  forget_axis_layouts (MIRA_SCORE_GRAPH (widget));
}

static void
style_dark_changed_cb (MiraScoreGraph *self)
{
  forget_lines (self);
}

static void
mira_score_graph_dispose (GObject *object)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (object);

  mira_score_graph_set_model (self, NULL);
  g_clear_handle_id (&self->description_id, g_source_remove);
  g_clear_handle_id (&self->step_id, g_source_remove);

  G_OBJECT_CLASS (mira_score_graph_parent_class)->dispose (object);
}

static void
mira_score_graph_finalize (GObject *object)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (object);

  g_ptr_array_unref (self->items);
  g_hash_table_unref (self->axis_layouts);
  g_clear_pointer (&self->lines, cairo_surface_destroy);
  g_clear_object (&self->lines_texture);

  G_OBJECT_CLASS (mira_score_graph_parent_class)->finalize (object);
}

static void
mira_score_graph_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_score_graph_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MiraScoreGraph *self = MIRA_SCORE_GRAPH (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      mira_score_graph_set_model (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mira_score_graph_class_init (MiraScoreGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_score_graph_dispose;
  object_class->finalize = mira_score_graph_finalize;
  object_class->get_property = mira_score_graph_get_property;
  object_class->set_property = mira_score_graph_set_property;

  widget_class->snapshot = mira_score_graph_snapshot;
  widget_class->measure = mira_score_graph_measure;
  widget_class->map = mira_score_graph_map;
  widget_class->unmap = mira_score_graph_unmap;
  widget_class->direction_changed = mira_score_graph_direction_changed;
  widget_class->system_setting_changed = mira_score_graph_system_setting_changed;
  widget_class->root = mira_score_graph_root;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "scoregraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
mira_score_graph_init (MiraScoreGraph *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->axis_layouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Stream quality over the last minute"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("No streams"),
                                  -1);

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (style_dark_changed_cb), self, G_CONNECT_SWAPPED);
}

GtkWidget *
mira_score_graph_new (void)
{
  return g_object_new (MIRA_TYPE_SCORE_GRAPH, NULL);
}

GListModel *
mira_score_graph_get_model (MiraScoreGraph *self)
{
  g_return_val_if_fail (MIRA_IS_SCORE_GRAPH (self), NULL);

  return self->model;
}

/**
 * mira_score_graph_set_model:
 * @model: (nullable): a GListModel of MiraClientItem
 *
 * Draws the streams of @model's clients, in its order.
 */
void
mira_score_graph_set_model (MiraScoreGraph *self,
                            GListModel     *model)
{
  g_return_if_fail (MIRA_IS_SCORE_GRAPH (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->model, model_items_changed_cb, self);
      unwatch_items (self);
    }

  g_set_object (&self->model, model);

  if (self->model != NULL)
    {
      g_signal_connect_swapped (self->model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
      model_items_changed_cb (self);
    }
  else
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      mira_score_graph_update_stepping (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

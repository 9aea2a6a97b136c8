/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-live-panels"

#include "config.h"

#include "mira-live-panels.h"

/* Wide, and (narrower) stacked: the space between the panels, and around
 * them — less on a phone, where every pixel of width counts
 */
#define WIDE_SPACING 18
#define WIDE_MARGIN 18
#define STACKED_SPACING 12
#define STACKED_MARGIN 12
/* The clients' column, wide */
#define COLUMN_MIN 300
#define COLUMN_MAX 400
/* Stacked, the clients take at most this share of the height, so that the
 * graph and the transcript stay on screen however many devices there are
 */
#define STACKED_CLIENTS_SHARE 0.4

struct _MiraLivePanels
{
  GtkWidget parent_instance;

  gboolean  wide;
};

G_DEFINE_FINAL_TYPE (MiraLivePanels, mira_live_panels, GTK_TYPE_WIDGET)

typedef struct {
  GtkWidget *clients;
  GtkWidget *graph;
  GtkWidget *transcript;
} Panels;

static gboolean
get_panels (GtkWidget *widget,
            Panels    *panels)
{
  panels->clients = gtk_widget_get_first_child (widget);
  panels->graph = panels->clients != NULL ? gtk_widget_get_next_sibling (panels->clients) : NULL;
  panels->transcript = panels->graph != NULL ? gtk_widget_get_next_sibling (panels->graph) : NULL;

  return panels->transcript != NULL;
}

static int
column_width (int width)
{
  return CLAMP (width * 2 / 5, COLUMN_MIN, COLUMN_MAX);
}

static void
measure_child (GtkWidget      *child,
               GtkOrientation  orientation,
               int             for_size,
               int            *minimum,
               int            *natural)
{
  *minimum = *natural = 0;
  if (gtk_widget_should_layout (child))
    gtk_widget_measure (child, orientation, for_size, minimum, natural, NULL, NULL);
}

static void
mira_live_panels_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  Panels p;
  int min[3], nat[3];

  *minimum = *natural = 0;
  if (!get_panels (widget, &p))
    return;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      measure_child (p.clients, orientation, -1, &min[0], &nat[0]);
      measure_child (p.graph, orientation, -1, &min[1], &nat[1]);
      measure_child (p.transcript, orientation, -1, &min[2], &nat[2]);

      /* Stacked is the smallest it can be; side by side is how it likes
       * to be
       */
      *minimum = 2 * STACKED_MARGIN + MAX (min[0], MAX (min[1], min[2]));
      *natural = MAX (MIRA_LIVE_PANELS_WIDE_WIDTH,
                      2 * WIDE_MARGIN + MAX (nat[0], COLUMN_MIN) + WIDE_SPACING + MAX (nat[1], nat[2]));
      return;
    }

  if (for_size >= MIRA_LIVE_PANELS_WIDE_WIDTH)
    {
      int inner = for_size - 2 * WIDE_MARGIN;
      int column = column_width (inner);
      int rest = inner - column - WIDE_SPACING;

      measure_child (p.clients, orientation, column, &min[0], &nat[0]);
      measure_child (p.graph, orientation, rest, &min[1], &nat[1]);
      measure_child (p.transcript, orientation, rest, &min[2], &nat[2]);
      *minimum = 2 * WIDE_MARGIN + MAX (min[0], min[1] + WIDE_SPACING + min[2]);
      *natural = 2 * WIDE_MARGIN + MAX (nat[0], nat[1] + WIDE_SPACING + nat[2]);
    }
  else
    {
      int inner = for_size < 0 ? -1 : MAX (0, for_size - 2 * STACKED_MARGIN);

      measure_child (p.clients, orientation, inner, &min[0], &nat[0]);
      measure_child (p.graph, orientation, inner, &min[1], &nat[1]);
      measure_child (p.transcript, orientation, inner, &min[2], &nat[2]);
      *minimum = 2 * STACKED_MARGIN + min[0] + min[1] + min[2] + 2 * STACKED_SPACING;
      *natural = 2 * STACKED_MARGIN + nat[0] + nat[1] + nat[2] + 2 * STACKED_SPACING;
    }
}

static void
mira_live_panels_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  MiraLivePanels *self = MIRA_LIVE_PANELS (widget);
  Panels p;
  int min, nat;

  if (!get_panels (widget, &p))
    return;

  self->wide = width >= MIRA_LIVE_PANELS_WIDE_WIDTH;

  if (self->wide)
    {
      int inner_width = width - 2 * WIDE_MARGIN;
      int inner_height = height - 2 * WIDE_MARGIN;
      int column = column_width (inner_width);
      int rest = inner_width - column - WIDE_SPACING;
      int right = WIDE_MARGIN + column + WIDE_SPACING;
      int graph_height;

      measure_child (p.graph, GTK_ORIENTATION_VERTICAL, rest, &min, &nat);
      graph_height = nat;
      gtk_widget_size_allocate (p.clients,
                                &(GtkAllocation) { WIDE_MARGIN, WIDE_MARGIN, column, inner_height }, -1);
      gtk_widget_size_allocate (p.graph,
                                &(GtkAllocation) { right, WIDE_MARGIN, rest, graph_height }, -1);
      gtk_widget_size_allocate (p.transcript,
                                &(GtkAllocation) { right, WIDE_MARGIN + graph_height + WIDE_SPACING, rest,
                                                   MAX (0, inner_height - graph_height - WIDE_SPACING) },
                                -1);
    }
  else
    {
      int inner_width = MAX (0, width - 2 * STACKED_MARGIN);
      int inner_height = MAX (0, height - 2 * STACKED_MARGIN);
      int clients_min, clients_nat, clients_height;
      int graph_min, graph_height;
      int transcript_min, transcript_nat;
      int y = STACKED_MARGIN;

      measure_child (p.clients, GTK_ORIENTATION_VERTICAL, inner_width, &clients_min, &clients_nat);
      measure_child (p.graph, GTK_ORIENTATION_VERTICAL, inner_width, &graph_min, &graph_height);
      measure_child (p.transcript, GTK_ORIENTATION_VERTICAL, inner_width, &transcript_min, &transcript_nat);

      clients_height = MAX (clients_min, MIN (clients_nat, (int) (inner_height * STACKED_CLIENTS_SHARE)));
      /* The graph gives way before the transcript does */
      graph_height = MAX (graph_min, MIN (graph_height,
                                          inner_height - clients_height - transcript_min - 2 * STACKED_SPACING));

      gtk_widget_size_allocate (p.clients,
                                &(GtkAllocation) { STACKED_MARGIN, y, inner_width, clients_height }, -1);
      y += clients_height + STACKED_SPACING;
      gtk_widget_size_allocate (p.graph,
                                &(GtkAllocation) { STACKED_MARGIN, y, inner_width, graph_height }, -1);
      y += graph_height + STACKED_SPACING;
      gtk_widget_size_allocate (p.transcript,
                                &(GtkAllocation) { STACKED_MARGIN, y, inner_width,
                                                   MAX (transcript_min, STACKED_MARGIN + inner_height - y) },
                                -1);
    }
}

static GtkSizeRequestMode
mira_live_panels_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
mira_live_panels_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (mira_live_panels_parent_class)->dispose (object);
}

static void
mira_live_panels_class_init (MiraLivePanelsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mira_live_panels_dispose;

  widget_class->get_request_mode = mira_live_panels_get_request_mode;
  widget_class->measure = mira_live_panels_measure;
  widget_class->size_allocate = mira_live_panels_size_allocate;

  gtk_widget_class_set_css_name (widget_class, "livepanels");
}

static void
mira_live_panels_init (MiraLivePanels *self)
{
}

GtkWidget *
mira_live_panels_new (void)
{
  return g_object_new (MIRA_TYPE_LIVE_PANELS, NULL);
}

gboolean
mira_live_panels_get_wide (MiraLivePanels *self)
{
  g_return_val_if_fail (MIRA_IS_LIVE_PANELS (self), FALSE);

  return self->wide;
}

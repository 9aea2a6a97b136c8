/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* MiraDateTimeRow: a row to pick a day (a calendar in a popover) and a
 * time of day (hours and minutes), in a time zone.
 *
 * Properties: date-time (GDateTime: what is picked, in time-zone),
 * time-zone (string: an IANA name; NULL: this computer's).
 */

#define MIRA_TYPE_DATE_TIME_ROW (mira_date_time_row_get_type ())
G_DECLARE_FINAL_TYPE (MiraDateTimeRow, mira_date_time_row, MIRA, DATE_TIME_ROW, AdwActionRow)

GDateTime  *mira_date_time_row_get_date_time (MiraDateTimeRow *self);
void        mira_date_time_row_set_date_time (MiraDateTimeRow *self,
                                              GDateTime       *date_time);
const char *mira_date_time_row_get_time_zone (MiraDateTimeRow *self);
void        mira_date_time_row_set_time_zone (MiraDateTimeRow *self,
                                              const char      *time_zone);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "mira-test-live.h"

G_BEGIN_DECLS

/* The short words that cases over real HTTP are written in, for a fixture
 * @f with a MiraTestClient *client and a MiraTestScope *scope (whatever
 * these give is kept until the scope ends):
 *
 *   P (f, "/api/v1/%s/persons", id)         a formatted text
 *   take (f, text)                          @text, freed at the end
 *   keep (f, data, destroy)                 @data, destroyed at the end
 *   str (o, "name"), obj (o, "settings")    a member, or NULL
 *   request (f, 201, "POST", path, token, body)
 *                                           the answer's object (or NULL);
 *                                           any other status fails the case
 *                                           at the caller's line
 */

#define P(f, ...) mira_test_scope_printf ((f)->scope, __VA_ARGS__)
#define take(f, text) mira_test_scope_take ((f)->scope, (text))
#define keep(f, data, destroy) mira_test_scope_keep ((f)->scope, (data), (destroy))
#define str(object, member) mira_test_json_string ((object), (member))
#define obj(object, member) mira_test_json_object ((object), (member))
#define request(f, status, method, path, token, body) \
  mira_test_client_expect ((f)->client, (f)->scope, __FILE__, __LINE__, (status), (method), \
                           (path), (token), (body))

G_END_DECLS

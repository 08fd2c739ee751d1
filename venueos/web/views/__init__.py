"""The site's views, one module per area: public (home, venues, the
availability grid), accounts (sign up, in, out), bookings, events, and manage
(the managers' and administrators' pages). Each view parses a form, calls a
service or selector with `actor=request.user`, and renders; a refusal is the
service's `Problem`, shown by `venueos.web.problems`."""

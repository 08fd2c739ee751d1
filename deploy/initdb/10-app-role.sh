#!/bin/sh
# Runs once, when the db container initializes its data folder: the role the
# app and the worker log in as. It owns nothing; `venueos migrate` (as the
# owner, POSTGRES_USER) grants it exactly the privileges it needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_password="$VENUEOS_APP_PASSWORD" <<'SQL'
CREATE ROLE venueos_app LOGIN PASSWORD :'app_password';
SQL

"""The web front end's blueprints and helpers; `web.create_app` assembles them."""

"""The secretariat's web desk: aiohttp with server-rendered Jinja2 pages (no front-end build).

Sign-in is a one-time link (`helpdesk web login --as NAME`, /web in chat), then an HttpOnly,
SameSite=Strict session cookie; every form carries a CSRF token. Every page and action is decided
by bot/policy and audited as in chat and the CLI."""

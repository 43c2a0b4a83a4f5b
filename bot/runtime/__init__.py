"""One message, one transaction, above the handlers: flood control, de-duplication, the person,
routing to a handler (router.py), commit, then the replies (core.py)."""

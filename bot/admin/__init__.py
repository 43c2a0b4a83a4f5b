"""The secretariat's changes to who is who (a person removed or given a role, a company renamed or
moved to another course, an invitation revoked), shared by the CLI and the web desk. Each takes an
open session and raises scheduler.errors.ProgrammeError with a message key for a mistake a person
can fix; the caller asks bot/policy first and writes the audit entry."""

"""Incident reports: severity, desk hours, storage, escalation, rendering and export."""

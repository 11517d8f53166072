"""Exports of responses and metric results: columns, one builder per format (format_csv,
format_xlsx, format_sav), the services that run them in the background, and their reads."""

"""The investor portal: the application form, files and their timeline, own-data download."""

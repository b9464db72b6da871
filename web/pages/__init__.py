"""HTML pages, grouped by who uses them: public, portal (investors), committee, admin, accounts."""

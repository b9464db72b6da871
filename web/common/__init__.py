"""What every part of the site shares: errors, languages, sessions, guards, headers, forms, numbers."""

"""Who may do what over HTTP: guards, page sessions, trusted proxies and security headers."""

"""Server-rendered pages and offline static assets (no CDN)."""

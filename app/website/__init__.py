"""The website the platform deploys: front page, guest book, health, readiness, metrics."""

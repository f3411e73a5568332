"""One ComponentResource per module; each takes typed Args and never reads stack config."""

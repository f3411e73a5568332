"""Developer tools for the website: a throwaway local PostgreSQL, local run, benchmark."""

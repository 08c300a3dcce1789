"""Op definitions: what each operation computes (numpy reference), no backend code."""
